using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using OpenTelemetry;

namespace BrazeFunctions.Telemetry;

/// <summary>
/// Removes secrets (<see cref="SecretRedaction"/>: the function key, credentials, SAS signatures, URL query values, the
/// configured API keys and shared secrets) from every activity the app exports, before any exporter sees it: the display
/// name, the status description, every string tag, and the tags of its events. Runs on the app's own spans, the HTTP
/// client's and the Azure SDK's.
/// </summary>
internal sealed class SecretRedactingProcessor(SecretRedaction redaction) : BaseProcessor<Activity>
{
    private static readonly ConcurrentDictionary<Type, MethodInfo?> TagSetters = new();

    public override void OnEnd(Activity data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var name = redaction.Redact(null, data.DisplayName);
        if (!ReferenceEquals(name, data.DisplayName))
        {
            data.DisplayName = name;
        }

        if (data.StatusDescription is { } description && redaction.Redact(null, description) is var status && !ReferenceEquals(status, description))
        {
            data.SetStatus(data.Status, status);
        }

        foreach (var (key, value) in Redacted(data.TagObjects))
        {
            data.SetTag(key, value);
        }

        foreach (var activityEvent in data.Events)
        {
            if (!TryRedact(activityEvent))
            {
                // A secret this runtime does not let us remove: the span is not exported at all rather than with the secret.
                data.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            }
        }
    }

    /// <summary>
    /// Rewrites the event's tags that hold a secret (an exception event carries the exception's message and stack trace,
    /// which can hold a URL or a header). ActivityEvent copies its tags into the runtime's own tag list, which has no public
    /// setter; that list's Set method is found once per list type by reflection. False when a tag needs it and it is missing.
    /// </summary>
    private bool TryRedact(ActivityEvent activityEvent)
    {
        var redacted = Redacted(activityEvent.Tags);
        if (redacted.Count == 0)
        {
            return true;
        }

        if (TagSetter(activityEvent.Tags.GetType()) is not { } setter)
        {
            return false;
        }

        foreach (var (key, value) in redacted)
        {
            setter.Invoke(activityEvent.Tags, [new KeyValuePair<string, object?>(key, value)]);
        }

        return true;
    }

    private static MethodInfo? TagSetter(Type tagList) =>
        TagSetters.GetOrAdd(tagList, static type => type.GetMethod("Set", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, [typeof(KeyValuePair<string, object?>)]));

    private List<KeyValuePair<string, string>> Redacted(IEnumerable<KeyValuePair<string, object?>> tags)
    {
        List<KeyValuePair<string, string>>? redacted = null;
        foreach (var (key, value) in tags)
        {
            if (value is string text && redaction.Redact(key, text) is var safe && !ReferenceEquals(safe, text))
            {
                (redacted ??= []).Add(new(key, safe));
            }
        }

        return redacted ?? [];
    }
}
