using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BrazeFunctions.Sandbox;

/// <summary>How much of each request the sandbox prints on its console.</summary>
internal enum EchoMode
{
    /// <summary>Nothing.</summary>
    None,

    /// <summary>One line: time, method, path, status, bucket, objects.</summary>
    Line,

    /// <summary>The line plus the JSON body, indented.</summary>
    Full,
}

/// <summary>
/// Every request the sandbox answered: kept in memory for tests, appended as one JSON line to a file for measuring
/// scripts, and printed on a console for people.
/// </summary>
internal sealed class RequestJournal : IDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private readonly ConcurrentQueue<SandboxRequest> _requests = new();
    private readonly object _writeGate = new();
    private readonly StreamWriter? _jsonl;
    private readonly TextWriter? _console;
    private readonly EchoMode _echo;

    public RequestJournal(string? jsonlPath, TextWriter? console, EchoMode echo)
    {
        if (!string.IsNullOrEmpty(jsonlPath))
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(jsonlPath));
            Directory.CreateDirectory(directory!);
            _jsonl = new StreamWriter(new FileStream(jsonlPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false)) { AutoFlush = true };
        }

        _console = echo == EchoMode.None ? null : console;
        _echo = echo;
    }

    public IReadOnlyList<SandboxRequest> Requests => [.. _requests.OrderBy(r => r.Sequence)];

    public int Count(Func<SandboxRequest, bool> predicate) => _requests.Count(predicate);

    public void Record(SandboxRequest request)
    {
        _requests.Enqueue(request);
        if (_jsonl is null && _console is null)
        {
            return;
        }

        var body = ParseOrNull(request.Body);
        lock (_writeGate)
        {
            _jsonl?.WriteLine(JsonLine(request, body));
            if (_console is not null)
            {
                _console.WriteLine(ConsoleText(request, body, _echo));
                _console.Flush();
            }
        }
    }

    public void Dispose() => _jsonl?.Dispose();

    /// <summary>The JSONL record: what a measuring script needs to compute objects per call, 429 share and latency.</summary>
    public static string JsonLine(SandboxRequest request, JsonNode? body)
    {
        var ids = request.UserIds ?? [];
        var line = new JsonObject
        {
            ["time"] = request.ArrivedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["ts"] = request.ArrivedAt.ToUnixTimeMilliseconds() / 1000d,
            ["seq"] = request.Sequence,
            ["method"] = request.Method,
            ["path"] = request.Path,
            ["bucket"] = BrazeBuckets.Name(request.Bucket),
            ["status"] = request.Status,
            ["applied"] = request.Applied,
            ["authorized"] = request.Authorized,
            ["fault"] = request.Dropped ? "dropped" : request.Fault,
            ["objects"] = ids.Count,
            ["ids"] = new JsonArray([.. ids.Select(id => (JsonNode?)JsonValue.Create(id))]),
            ["limit"] = request.RateLimit?.Limit,
            ["remaining"] = request.RateLimit is { } state ? Math.Max(0, state.Remaining) : null,
            ["body"] = body ?? (request.Body.Length > 0 ? JsonValue.Create(request.Body) : null),
        };
        return line.ToJsonString();
    }

    /// <summary>What a person sees: one line per request and, in full mode, the body it carried, indented.</summary>
    public static string ConsoleText(SandboxRequest request, JsonNode? body, EchoMode echo)
    {
        var status = request.Dropped ? "dropped" : request.Status.ToString(CultureInfo.InvariantCulture);
        var text = new StringBuilder()
            .Append("[braze-sandbox] ")
            .Append(request.ArrivedAt.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture))
            .Append(' ').Append(request.Method).Append(' ').Append(request.Path)
            .Append(" -> ").Append(status)
            .Append(request.Fault is null ? string.Empty : " (" + request.Fault + ")")
            .Append("  [").Append(BrazeBuckets.Name(request.Bucket));
        if (request.RateLimit is { } state)
        {
            text.Append(CultureInfo.InvariantCulture, $" {Math.Max(0, state.Remaining)}/{state.Limit} left");
        }

        text.Append(CultureInfo.InvariantCulture, $", {Objects(request.UserIds?.Count ?? 0)}]");
        if (echo == EchoMode.Full && request.Body.Length > 0)
        {
            var shown = body?.ToJsonString(Indented) ?? request.Body;
            foreach (var line in shown.ReplaceLineEndings("\n").Split('\n'))
            {
                text.Append('\n').Append("[braze-sandbox]   ").Append(line);
            }
        }

        return text.ToString();
    }

    private static string Objects(int count) => count == 1 ? "1 object" : count.ToString(CultureInfo.InvariantCulture) + " objects";

    private static JsonNode? ParseOrNull(string body)
    {
        try
        {
            return body.Length == 0 ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
