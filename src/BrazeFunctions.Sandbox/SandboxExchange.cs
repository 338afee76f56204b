using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BrazeFunctions.Sandbox;

/// <summary>How the sandbox answered one request: what the journal records about it.</summary>
internal readonly record struct Outcome(int Status, bool Dropped = false, bool Applied = false, RateState? State = null, string? Fault = null);

/// <summary>One request as read once: its bucket, whether its key is accepted, its body and parsed JSON.</summary>
internal sealed class SandboxExchange
{
    /// <summary>Header a test's client-side recorder puts on each request, so both sides' records can be joined.</summary>
    public const string ClientSequenceHeader = "X-Test-Client-Sequence";

    private SandboxExchange(HttpContext context, int sequence, DateTimeOffset arrived, string body, JsonObject? json, string path)
    {
        Context = context;
        Sequence = sequence;
        Arrived = arrived;
        Body = body;
        Json = json;
        Path = path;
        Bucket = BrazeBuckets.Classify(path, json);
        ClientSequence = long.TryParse(context.Request.Headers[ClientSequenceHeader].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var cs) ? cs : null;
    }

    public HttpContext Context { get; }

    public HttpResponse Response => Context.Response;

    public int Sequence { get; }

    public DateTimeOffset Arrived { get; }

    public string Path { get; }

    public string Body { get; }

    /// <summary>The body when it is one JSON object; null otherwise (Braze answers such a body 400).</summary>
    public JsonObject? Json { get; }

    public BrazeBucket Bucket { get; }

    public bool Authorized { get; private init; }

    public long? ClientSequence { get; }

    /// <summary>The 429 window of its bucket this request arrived in, if any.</summary>
    public Announcement? Announced { get; init; }

    public static async Task<SandboxExchange> ReadAsync(HttpContext context, int sequence, DateTimeOffset arrived, string apiKey, Func<BrazeBucket, DateTimeOffset, Announcement?> announced)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var path = context.Request.Path.Value ?? string.Empty;
        var json = ParseObject(body);
        return new SandboxExchange(context, sequence, arrived, body, json, path)
        {
            Authorized = string.Equals(context.Request.Headers.Authorization.ToString(), "Bearer " + apiKey, StringComparison.Ordinal),
            Announced = announced(BrazeBuckets.Classify(path, json), arrived),
        };
    }

    public SandboxRequest ToRecord(Outcome outcome) => new(
        Sequence,
        Context.Request.Method,
        Path,
        Bucket,
        Arrived,
        Authorized,
        Body,
        outcome.Status,
        outcome.Dropped,
        outcome.Applied,
        Announced is not null,
        ClientSequence,
        Announced?.By,
        outcome.Fault,
        outcome.State,
        ObjectCensus.UserIds(Path, Json));

    private static JsonObject? ParseObject(string body)
    {
        try
        {
            return body.Length == 0 ? null : JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
