using System.Diagnostics;
using Microsoft.Extensions.Logging.Testing;
using OpenTelemetry.Logs;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>Everything a log or trace item carries, as one string, for "this never appears anywhere" checks.</summary>
internal static class TelemetryText
{
    public static string Of(IEnumerable<FakeLogRecord> records) =>
        string.Join('\n', records.Select(r => string.Join(" | ",
            r.Category,
            r.Message,
            string.Join(';', r.StructuredState?.Select(kv => kv.Key + "=" + kv.Value) ?? []),
            string.Join(';', r.Scopes.Select(Scope)),
            r.Exception?.ToString())));

    public static string Of(IEnumerable<LogRecord> records) =>
        string.Join('\n', records.Select(r =>
        {
            var scopes = new List<string>();
            r.ForEachScope(
                (scope, list) =>
                {
                    foreach (var (key, value) in scope)
                    {
                        list.Add(key + "=" + value);
                    }
                },
                scopes);
            return string.Join(" | ",
                r.CategoryName,
                r.FormattedMessage,
                r.Body,
                string.Join(';', r.Attributes?.Select(kv => kv.Key + "=" + kv.Value) ?? []),
                string.Join(';', scopes),
                r.Exception?.ToString());
        }));

    // The operation name is fixed when an activity starts and no exporter sends it: the span name is the display name.
    public static string Of(IEnumerable<Activity> activities) =>
        string.Join('\n', activities.Select(a => string.Join(" | ",
            a.Source.Name,
            a.DisplayName,
            a.StatusDescription,
            string.Join(';', a.TagObjects.Select(kv => kv.Key + "=" + kv.Value)),
            string.Join(';', a.Events.Select(e => e.Name + ":" + string.Join(',', e.Tags.Select(kv => kv.Key + "=" + kv.Value)))),
            string.Join(';', a.Baggage.Select(kv => kv.Key + "=" + kv.Value)))));

    private static string Scope(object? scope) => scope switch
    {
        IEnumerable<KeyValuePair<string, object?>> values => string.Join(',', values.Select(kv => kv.Key + "=" + kv.Value)),
        _ => scope?.ToString() ?? string.Empty,
    };
}
