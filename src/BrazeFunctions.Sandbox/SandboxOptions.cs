namespace BrazeFunctions.Sandbox;

/// <summary>How a sandbox starts: where it listens, the key it accepts, its buckets, and where it reports requests.</summary>
internal sealed record SandboxOptions
{
    /// <summary>The listen URL of the process; run-local.sh and local.settings.sample.json use this one.</summary>
    public const string DefaultListen = "http://127.0.0.1:9099";

    /// <summary>The key local.settings.sample.json sends (<c>Braze__ApiKey</c>); any other key gets 401, as Braze answers.</summary>
    public const string DefaultApiKey = "braze-sandbox-key";

    /// <summary>Port 0 picks a free port (tests); <see cref="BrazeSandbox.BaseAddress"/> tells which.</summary>
    public string Listen { get; init; } = DefaultListen;

    public string ApiKey { get; init; } = DefaultApiKey;

    /// <summary>Objects allowed in one /users/track request; more gets 400 "Max Input Length Exceeded", as Braze answers.</summary>
    public int UsersTrackObjectCap { get; init; } = 75;

    /// <summary>Buckets whose limit or window differs from Braze's default.</summary>
    public IReadOnlyDictionary<BrazeBucket, BucketLimit> Limits { get; init; } = new Dictionary<BrazeBucket, BucketLimit>();

    /// <summary>Buckets whose header dialect differs from <see cref="HeaderDialect.Default"/>.</summary>
    public IReadOnlyDictionary<BrazeBucket, HeaderDialect> Dialects { get; init; } = new Dictionary<BrazeBucket, HeaderDialect>();

    /// <summary>Answers given to the n-th request of a bucket (1-based) instead of the normal one.</summary>
    public IReadOnlyList<(BrazeBucket Bucket, int Nth, SandboxAnswer Answer)> BucketScripts { get; init; } = [];

    /// <summary>A file each request is appended to as one JSON line; null writes none.</summary>
    public string? JsonlPath { get; init; }

    public EchoMode Echo { get; init; } = EchoMode.None;
}
