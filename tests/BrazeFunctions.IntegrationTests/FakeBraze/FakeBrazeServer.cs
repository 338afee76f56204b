using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.IntegrationTests.FakeBraze;

/// <summary>One request as the fake saw it, with the answer it got.</summary>
internal sealed record FakeRequest(
    int Sequence,
    string Path,
    DateTimeOffset ArrivedAt,
    bool Authorized,
    string Body,
    int Status,
    bool Dropped,
    bool InsideAnnouncedWindow,
    long? ClientSequence = null,
    long? WindowAnnouncedBy = null,
    string Bucket = "users-track");

/// <summary>A scripted answer, used (in order) before the fake's normal behaviour.</summary>
internal abstract record FakeAnswer
{
    /// <summary>
    /// Answer with this status and body; a 429 closes the bucket until <paramref name="Reset"/>. <paramref name="Headers"/>,
    /// when given, are sent as they are instead of the <c>X-RateLimit-*</c> trio (hostile or missing values).
    /// </summary>
    public sealed record Status(int Code, string Body = "{\"message\":\"scripted\"}", DateTimeOffset? Reset = null, string? RetryAfter = null, IReadOnlyDictionary<string, string>? Headers = null) : FakeAnswer;

    /// <summary>Wait (real time) before answering normally: long enough to trip the client's timeout.</summary>
    public sealed record Delay(TimeSpan Wait) : FakeAnswer;

    /// <summary>Abort the connection without an answer.</summary>
    public sealed record Drop : FakeAnswer;

    /// <summary>Apply the request as a 201 would (profiles, counters, triggers), then abort the connection: a lost answer.</summary>
    public sealed record ApplyThenDrop : FakeAnswer;

    /// <summary>Apply the request, then answer with this status (a 500/502/504 after the work was done).</summary>
    public sealed record ApplyThenStatus(int Code) : FakeAnswer;
}

/// <summary>
/// A local Kestrel server that behaves like Braze's REST API where the relay depends on it: bearer auth (401), the
/// allow-listed paths (404 otherwise), fixed-window rate limits per Braze bucket with lower-case <c>x-ratelimit-*</c>
/// headers on every answer (429 when spent; the reset as epoch seconds or, per bucket, seconds remaining; optionally a
/// retry header and no Date), body validation (400 with a Braze-like <c>{"message": ...}</c>, partial <c>errors</c> on 201)
/// and scripted answers. It records every request with its arrival time on the given <see cref="TimeProvider"/>.
/// </summary>
internal sealed class FakeBrazeServer : IAsyncDisposable
{
    private static readonly string[] Identifiers = ["external_id", "user_alias", "braze_id", "email", "phone"];
    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly ConcurrentQueue<FakeAnswer> _script = new();
    private readonly ConcurrentQueue<FakeRequest> _requests = new();
    private readonly object _gate = new();
    private readonly Dictionary<(string Bucket, long Window), int> _counts = [];
    private readonly Dictionary<string, (DateTimeOffset AnsweredAt, DateTimeOffset Until, long? By)> _announced = new(StringComparer.Ordinal);
    private int _sequence;

    private FakeBrazeServer(WebApplication app, TimeProvider time, string apiKey)
    {
        _app = app;
        _time = time;
        ApiKey = apiKey;
    }

    public string ApiKey { get; }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Requests per window for /users/track.</summary>
    public int UsersTrackLimit { get; set; } = 3000;

    /// <summary>Length of the /users/track window in whole seconds (windows are aligned on the epoch).</summary>
    public int UsersTrackWindowSeconds { get; set; } = 3;

    /// <summary>Requests per hour of each other bucket, unless <see cref="Buckets"/> sets it.</summary>
    public int SharedLimit { get; set; } = 250_000;

    /// <summary>Windows per bucket (users-track, identity, messaging, broadcast, subscription, other): requests per window and its length in whole seconds, aligned on the epoch.</summary>
    public ConcurrentDictionary<string, (int Limit, int WindowSeconds)> Buckets { get; } = new(StringComparer.Ordinal);

    /// <summary>Buckets whose reset is sent as seconds remaining from the answer's Date (Braze's MAU pages) instead of epoch seconds.</summary>
    public ConcurrentDictionary<string, bool> ResetAsSecondsRemaining { get; } = new(StringComparer.Ordinal);

    /// <summary>The header a 429 names its wait in (<c>x-ratelimit-retry-after</c>, <c>x-ratelimit-retryafter</c>, <c>retry-after</c>); none when null.</summary>
    public string? RetryAfterHeader { get; set; }

    /// <summary>Answer without a Date header.</summary>
    public bool OmitDate { get; set; }

    /// <summary>Objects allowed in one /users/track request; more gets 400 "Max Input Length Exceeded", as Braze answers.</summary>
    public int UsersTrackObjectCap { get; set; } = 75;

    /// <summary>Legacy contracts: the cap applies to each of attributes, events and purchases on its own.</summary>
    public bool UsersTrackPerArray { get; set; }

    /// <summary>Integer attributes as Braze holds them after <c>{"inc": n}</c> updates and plain sets, by "external_id/attribute".</summary>
    public ConcurrentDictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);

    /// <summary>Every /users/track object the fake applied, in order: (array, external_id or braze_id).</summary>
    public ConcurrentQueue<(string Array, string? User)> AppliedObjects { get; } = new();

    /// <summary>Every trigger recipient the fake applied: (canvas or campaign id, external_user_id).</summary>
    public ConcurrentQueue<(string Target, string? User)> Triggered { get; } = new();

    /// <summary>Header a test's client-side recorder puts on each request, so both sides' records can be joined.</summary>
    public const string ClientSequenceHeader = "X-Test-Client-Sequence";

    /// <summary>A per-request fault rule (arrival sequence, body) consulted after the script; null answers normally.</summary>
    public Func<int, string, FakeAnswer?>? Rule { get; set; }

    public IReadOnlyList<FakeRequest> Requests => [.. _requests.OrderBy(r => r.Sequence)];

    public int RateLimitedAnswers => _requests.Count(r => r.Status == 429);

    public static async Task<FakeBrazeServer> StartAsync(TimeProvider time, string apiKey)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeBrazeServer(app, time, apiKey);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.BaseAddress = new Uri(app.Urls.Single().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    public void Script(params FakeAnswer[] answers)
    {
        foreach (var answer in answers)
        {
            _script.Enqueue(answer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var arrived = _time.GetUtcNow();
        var sequence = Interlocked.Increment(ref _sequence);
        var path = context.Request.Path.Value ?? string.Empty;
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var authorized = string.Equals(context.Request.Headers.Authorization.ToString(), "Bearer " + ApiKey, StringComparison.Ordinal);
        var bucket = BucketOf(path, body);
        long? clientSequence = long.TryParse(context.Request.Headers[ClientSequenceHeader].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var cs) ? cs : null;
        bool inside;
        long? announcedBy = null;
        lock (_gate)
        {
            inside = _announced.TryGetValue(bucket, out var window) && arrived > window.AnsweredAt && arrived < window.Until;
            if (inside)
            {
                announcedBy = window.By;
            }
        }

        void Record(int status, bool dropped = false) =>
            _requests.Enqueue(new FakeRequest(sequence, path, arrived, authorized, body, status, dropped, inside, clientSequence, announcedBy, bucket));

        var scripted = _script.TryDequeue(out var next) ? next : Rule?.Invoke(sequence, body);
        if (scripted is not null)
        {
            switch (scripted)
            {
                case FakeAnswer.Drop:
                    Record(0, dropped: true);
                    context.Abort();
                    return;
                case FakeAnswer.ApplyThenDrop:
                    Apply(path, body);
                    Record(0, dropped: true);
                    context.Abort();
                    return;
                case FakeAnswer.ApplyThenStatus applied:
                    Apply(path, body);
                    var (appliedLimit, appliedRemaining, appliedReset) = Count(bucket, arrived);
                    await AnswerAsync(context, bucket, applied.Code, "{\"message\":\"scripted after applying\"}", appliedLimit, appliedRemaining, appliedReset, null);
                    Record(applied.Code);
                    return;
                case FakeAnswer.Delay delay:
                    try
                    {
                        await Task.Delay(delay.Wait, context.RequestAborted);
                    }
                    catch (OperationCanceledException)
                    {
                        Record(0, dropped: true);
                        return;
                    }

                    break;
                case FakeAnswer.Status status:
                    var (limit, _, reset) = Count(bucket, arrived);
                    if (status.Code == 429)
                    {
                        var until = status.Reset ?? reset;
                        Announce(bucket, arrived, until, clientSequence);
                        reset = until;
                    }

                    await AnswerAsync(context, bucket, status.Code, status.Body, limit, status.Code == 429 ? 0 : limit, reset, status.RetryAfter, status.Headers);
                    Record(status.Code);
                    return;
            }
        }

        var (code, answer, headers) = Evaluate(path, authorized, body, bucket, arrived, clientSequence);
        if (code is >= 200 and < 300)
        {
            Apply(path, body);
        }

        await AnswerAsync(context, bucket, code, answer, headers.Limit, headers.Remaining, headers.Reset, null);
        Record(code);
    }

    /// <summary>What Braze would do with an accepted request: set and increment attributes, trigger recipients.</summary>
    private void Apply(string path, string body)
    {
        if (JsonNode.Parse(body) is not JsonObject request)
        {
            return;
        }

        if (path == "/users/track")
        {
            foreach (var array in new[] { "attributes", "events", "purchases" })
            {
                foreach (var item in (request[array] as JsonArray ?? []).OfType<JsonObject>())
                {
                    var user = (item["external_id"] ?? item["braze_id"])?.ToString();
                    if (!Identifiers.Any(item.ContainsKey))
                    {
                        continue;
                    }

                    AppliedObjects.Enqueue((array, user));
                    if (array != "attributes")
                    {
                        continue;
                    }

                    foreach (var (name, value) in item)
                    {
                        if (Identifiers.Contains(name))
                        {
                            continue;
                        }

                        if (value is JsonObject op && op["inc"] is JsonValue inc && inc.TryGetValue<long>(out var by))
                        {
                            Counters.AddOrUpdate(user + "/" + name, by, (_, current) => current + by);
                        }
                        else if (value is JsonValue plain && plain.TryGetValue<long>(out var set))
                        {
                            Counters[user + "/" + name] = set;
                        }
                    }
                }
            }
        }
        else if (path is "/canvas/trigger/send" or "/campaigns/trigger/send")
        {
            var target = (request["canvas_id"] ?? request["campaign_id"])?.ToString() ?? string.Empty;
            foreach (var recipient in (request["recipients"] as JsonArray ?? []).OfType<JsonObject>())
            {
                Triggered.Enqueue((target, recipient["external_user_id"]?.ToString()));
            }
        }
    }

    private (int Code, string Body, (int Limit, int Remaining, DateTimeOffset Reset) Headers) Evaluate(string path, bool authorized, string body, string bucket, DateTimeOffset arrived, long? clientSequence)
    {
        var (limit, remaining, reset) = Count(bucket, arrived);
        if (!authorized)
        {
            return (401, "{\"message\":\"Invalid API key\"}", (limit, remaining, reset));
        }

        if (path is not ("/users/track" or "/canvas/trigger/send" or "/campaigns/trigger/send" or "/messages/send" or "/users/alias/new" or "/users/identify" or "/users/merge" or "/subscription/status/set" or "/v2/subscription/status/set"))
        {
            return (404, "{\"message\":\"Not Found\"}", (limit, remaining, reset));
        }

        lock (_gate)
        {
            if (_announced.TryGetValue(bucket, out var closed) && arrived < closed.Until)
            {
                return (429, "{\"message\":\"Rate limit exceeded\"}", (limit, 0, closed.Until));
            }
        }

        if (remaining < 0)
        {
            Announce(bucket, arrived, reset, clientSequence);
            return (429, "{\"message\":\"Rate limit exceeded\"}", (limit, 0, reset));
        }

        JsonObject? request;
        try
        {
            request = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request is null)
        {
            return (400, "{\"message\":\"Received unparseable request: the body must be a JSON object\"}", (limit, remaining, reset));
        }

        return path switch
        {
            "/users/track" => UsersTrack(request, (limit, remaining, reset), UsersTrackObjectCap, UsersTrackPerArray),
            "/canvas/trigger/send" when request["canvas_id"] is not JsonValue => (400, "{\"message\":\"Invalid 'canvas_id'\"}", (limit, remaining, reset)),
            "/campaigns/trigger/send" when request["campaign_id"] is not JsonValue => (400, "{\"message\":\"Invalid 'campaign_id'\"}", (limit, remaining, reset)),
            _ => (201, "{\"dispatch_id\":\"" + Guid.NewGuid().ToString("N") + "\",\"message\":\"success\"}", (limit, remaining, reset)),
        };
    }

    private static (int, string, (int, int, DateTimeOffset)) UsersTrack(JsonObject request, (int, int, DateTimeOffset) headers, int objectCap, bool perArray)
    {
        var errors = new JsonArray();
        var processed = new Dictionary<string, int>();
        var total = 0;
        foreach (var array in new[] { "attributes", "events", "purchases" })
        {
            processed[array] = 0;
            if (request[array] is not JsonArray items)
            {
                continue;
            }

            for (var i = 0; i < items.Count; i++)
            {
                total++;
                if (items[i] is JsonObject item && Identifiers.Count(item.ContainsKey) == 1)
                {
                    processed[array]++;
                }
                else
                {
                    errors.Add(new JsonObject { ["type"] = "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required", ["input_array"] = array, ["index"] = i });
                }
            }
        }

        if (total == 0)
        {
            return (400, "{\"message\":\"Missing 'attributes', 'events' or 'purchases'\"}", headers);
        }

        if (perArray ? new[] { "attributes", "events", "purchases" }.Any(a => (request[a] as JsonArray)?.Count > objectCap) : total > objectCap)
        {
            return (400, "{\"message\":\"Max Input Length Exceeded\"}", headers);
        }

        if (errors.Count == total)
        {
            return (400, new JsonObject { ["message"] = "Invalid request: no valid object", ["errors"] = errors }.ToJsonString(), headers);
        }

        var answer = new JsonObject
        {
            ["message"] = "success",
            ["attributes_processed"] = processed["attributes"],
            ["events_processed"] = processed["events"],
            ["purchases_processed"] = processed["purchases"],
        };
        if (errors.Count > 0)
        {
            answer["errors"] = errors;
        }

        return (201, answer.ToJsonString(), headers);
    }

    /// <summary>Braze's bucket of a request, read from its docs independently of the relay's own table.</summary>
    private static string BucketOf(string path, string body) => path switch
    {
        "/users/track" => "users-track",
        "/users/identify" or "/users/alias/new" or "/users/alias/update" or "/users/merge" or "/users/delete" => "identity",
        "/subscription/status/set" or "/v2/subscription/status/set" => "subscription",
        "/messages/send" or "/canvas/trigger/send" or "/campaigns/trigger/send" =>
            body.Contains("\"recipients\"", StringComparison.Ordinal) || body.Contains("\"external_user_ids\"", StringComparison.Ordinal) || body.Contains("\"user_aliases\"", StringComparison.Ordinal)
                ? "messaging" : "broadcast",
        _ => "other",
    };

    private (int Limit, int Remaining, DateTimeOffset Reset) Count(string bucket, DateTimeOffset arrived)
    {
        var (limit, seconds) = Buckets.TryGetValue(bucket, out var configured) ? configured
            : bucket == "users-track" ? (UsersTrackLimit, UsersTrackWindowSeconds) : (SharedLimit, 3600);
        var window = arrived.ToUnixTimeSeconds() / seconds;
        lock (_gate)
        {
            _counts[(bucket, window)] = _counts.GetValueOrDefault((bucket, window)) + 1;
            return (limit, limit - _counts[(bucket, window)], DateTimeOffset.FromUnixTimeSeconds((window + 1) * seconds));
        }
    }

    private void Announce(string bucket, DateTimeOffset answeredAt, DateTimeOffset until, long? by)
    {
        lock (_gate)
        {
            // A window is announced by its first 429; later 429s inside it do not move its start.
            if (!_announced.TryGetValue(bucket, out var current) || current.Until <= answeredAt)
            {
                _announced[bucket] = (answeredAt, until, by);
            }
            else if (current.Until < until)
            {
                _announced[bucket] = (current.AnsweredAt, until, current.By);
            }
        }
    }

    private async Task AnswerAsync(HttpContext context, string bucket, int code, string body, int limit, int remaining, DateTimeOffset reset, string? retryAfter, IReadOnlyDictionary<string, string>? raw = null)
    {
        context.Response.StatusCode = code;
        // Braze's clock is the fake's clock, so the Date header comes from it too (whole seconds, as HTTP dates are);
        // seconds remaining count from that same Date, so that Date + remaining is the reset.
        var date = DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds());
        if (!OmitDate)
        {
            context.Response.Headers.Date = date.ToString("r", CultureInfo.InvariantCulture);
        }

        context.Response.ContentType = "application/json";
        if (raw is not null)
        {
            foreach (var (name, value) in raw)
            {
                context.Response.Headers[name] = value;
            }
        }
        else
        {
            // Lower-case names, as Braze sends them over HTTP/2.
            var resetValue = ResetAsSecondsRemaining.ContainsKey(bucket) ? Math.Max(0, reset.ToUnixTimeSeconds() - date.ToUnixTimeSeconds()) : reset.ToUnixTimeSeconds();
            context.Response.Headers["x-ratelimit-limit"] = limit.ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["x-ratelimit-remaining"] = Math.Max(0, remaining).ToString(CultureInfo.InvariantCulture);
            context.Response.Headers["x-ratelimit-reset"] = resetValue.ToString(CultureInfo.InvariantCulture);
            if (code == 429 && retryAfter is null && RetryAfterHeader is { } header)
            {
                context.Response.Headers[header] = Math.Max(0, (long)Math.Ceiling((reset - _time.GetUtcNow()).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }
        }

        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        await context.Response.WriteAsync(body);
    }
}
