using System.Diagnostics;
using OpenTelemetry;

namespace BrazeFunctions.Telemetry;

/// <summary>
/// Redacts the <c>code</c> query parameter from every activity the app exports, before any exporter sees it: the URL tags of
/// HTTP instrumentation (<c>url.full</c>, <c>url.query</c>, <c>http.url</c>, <c>http.target</c>) and any other string tag, the
/// display name and the status description.
/// </summary>
internal sealed class FunctionKeyRedactingProcessor : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (FunctionKeyRedaction.ContainsKey(data.DisplayName))
        {
            data.DisplayName = FunctionKeyRedaction.Redact(data.DisplayName);
        }

        if (FunctionKeyRedaction.ContainsKey(data.StatusDescription))
        {
            data.SetStatus(data.Status, FunctionKeyRedaction.Redact(data.StatusDescription!));
        }

        List<KeyValuePair<string, string>>? redacted = null;
        foreach (var (key, value) in data.TagObjects)
        {
            if (value is string text && FunctionKeyRedaction.ContainsKey(text))
            {
                (redacted ??= []).Add(new(key, FunctionKeyRedaction.Redact(text)));
            }
        }

        foreach (var (key, value) in redacted ?? [])
        {
            data.SetTag(key, value);
        }
    }
}
