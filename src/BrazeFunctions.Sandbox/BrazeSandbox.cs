using System.Collections.Concurrent;

namespace BrazeFunctions.Sandbox;

/// <summary>
/// A local Kestrel server that behaves like Braze's REST API where the relay depends on it: bearer auth (401), the
/// allow-listed paths (404 otherwise), Braze's rate-limit buckets with fixed windows and <c>X-RateLimit-*</c> headers in a
/// configurable dialect (429 when spent), body validation (400 with a Braze-like <c>{"message": ...}</c>, partial
/// <c>errors</c> on 201) and scripted answers, hostile and slow ones included. It records every request with its arrival
/// time on the given <see cref="TimeProvider"/>: in memory for tests, and optionally as JSONL and on a console.
/// </summary>
internal sealed class BrazeSandbox : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeProvider _time;
    private readonly RateWindows _windows = new();
    private readonly AppliedState _applied = new();
    private readonly RequestJournal _journal;
    private readonly ScriptedAnswers _answers;
    private readonly AnswerRunner _runner;
    private readonly ConcurrentDictionary<BrazeBucket, HeaderDialect> _dialects = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _sequence;

    private BrazeSandbox(WebApplication app, TimeProvider time, SandboxOptions options, TextWriter? console)
    {
        _app = app;
        _time = time;
        ApiKey = options.ApiKey;
        UsersTrackObjectCap = options.UsersTrackObjectCap;
        _journal = new RequestJournal(options.JsonlPath, console, options.Echo);
        _answers = new ScriptedAnswers(options.BucketScripts);
        foreach (var (bucket, limit) in options.Limits)
        {
            _windows.SetLimit(bucket, limit);
        }

        foreach (var (bucket, dialect) in options.Dialects)
        {
            _dialects[bucket] = dialect;
        }

        _runner = new AnswerRunner(this);
    }

    /// <summary>Header a test's client-side recorder puts on each request, so both sides' records can be joined.</summary>
    public const string ClientSequenceHeader = SandboxExchange.ClientSequenceHeader;

    public string ApiKey { get; }

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Objects allowed in one /users/track request; more gets 400 "Max Input Length Exceeded", as Braze answers.</summary>
    public int UsersTrackObjectCap { get; set; }

    /// <summary>Integer attributes as Braze holds them after <c>{"inc": n}</c> updates and plain sets, by "external_id/attribute".</summary>
    public ConcurrentDictionary<string, long> Counters => _applied.Counters;

    /// <summary>Every /users/track object the sandbox applied, in order: (array, external_id or braze_id).</summary>
    public ConcurrentQueue<(string Array, string? User)> AppliedObjects => _applied.AppliedObjects;

    /// <summary>Every trigger recipient the sandbox applied: (canvas or campaign id, external_user_id).</summary>
    public ConcurrentQueue<(string Target, string? User)> Triggered => _applied.Triggered;

    /// <summary>A per-request fault rule (arrival sequence, body) consulted after the script; null answers normally.</summary>
    public Func<int, string, SandboxAnswer?>? Rule { get => _answers.Rule; set => _answers.Rule = value; }

    public IReadOnlyList<SandboxRequest> Requests => _journal.Requests;

    public int RateLimitedAnswers => _journal.Count(r => r.Status == StatusCodes.Status429TooManyRequests);

    internal TimeProvider Time => _time;

    internal RateWindows Windows => _windows;

    internal AppliedState Applied => _applied;

    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>A sandbox on a free loopback port that accepts <paramref name="apiKey"/> and keeps its records in memory.</summary>
    public static Task<BrazeSandbox> StartAsync(TimeProvider time, string apiKey) =>
        StartAsync(time, new SandboxOptions { Listen = "http://127.0.0.1:0", ApiKey = apiKey });

    public static async Task<BrazeSandbox> StartAsync(TimeProvider time, SandboxOptions options, TextWriter? console = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(options.Listen);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ConfigureEndpointDefaults(listen => listen.Use(DateHeaderRemover.Middleware));
        });
        builder.Logging.ClearProviders();
        if (console is not null)
        {
            builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        }

        var app = builder.Build();
        var sandbox = new BrazeSandbox(app, time, options, console);
        app.Lifetime.ApplicationStopping.Register(sandbox._stopping.Cancel);
        app.Run(sandbox.HandleAsync);
        await app.StartAsync();
        sandbox.BaseAddress = new Uri(app.Urls.First().Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return sandbox;
    }

    public BucketLimit Limit(BrazeBucket bucket) => _windows.Limit(bucket);

    /// <summary>Sets a bucket's requests per window; the window is whole seconds, aligned on the Unix epoch.</summary>
    public void SetLimit(BrazeBucket bucket, int requests, TimeSpan window) => _windows.SetLimit(bucket, new BucketLimit(requests, window));

    public HeaderDialect Dialect(BrazeBucket bucket) => _dialects.GetValueOrDefault(bucket, HeaderDialect.Default);

    public void SetDialect(BrazeBucket bucket, HeaderDialect dialect) => _dialects[bucket] = dialect;

    /// <summary>Answers the next requests (whatever their bucket) with these, in order.</summary>
    public void Script(params SandboxAnswer[] answers) => _answers.Enqueue(answers);

    /// <summary>Answers the <paramref name="nth"/> request (1-based) that counts against <paramref name="bucket"/> with this.</summary>
    public void ScriptFor(BrazeBucket bucket, int nth, SandboxAnswer answer) => _answers.EnqueueFor(bucket, nth, answer);

    /// <summary>Runs until the process is asked to stop (Ctrl+C, SIGTERM).</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _journal.Dispose();
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var exchange = await SandboxExchange.ReadAsync(context, Interlocked.Increment(ref _sequence), _time.GetUtcNow(), ApiKey, _windows.AnnouncedAt);
        var outcome = await _runner.RunAsync(exchange, _answers.Next(exchange));
        _journal.Record(exchange.ToRecord(outcome));
    }
}
