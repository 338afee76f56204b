namespace BrazeFunctions.Sandbox;

/// <summary>
/// One request as the sandbox saw it, with the answer it got. <see cref="Status"/> is 0 when no answer went out
/// (<see cref="Dropped"/>); <see cref="Fault"/> names a slow-network answer (<c>stalled</c>, <c>chunked</c>);
/// <see cref="InsideAnnouncedWindow"/>: it arrived after a 429 of its bucket and before the time that 429 named.
/// </summary>
internal sealed record SandboxRequest(
    int Sequence,
    string Method,
    string Path,
    BrazeBucket Bucket,
    DateTimeOffset ArrivedAt,
    bool Authorized,
    string Body,
    int Status,
    bool Dropped,
    bool Applied,
    bool InsideAnnouncedWindow,
    long? ClientSequence = null,
    long? WindowAnnouncedBy = null,
    string? Fault = null,
    RateState? RateLimit = null,
    IReadOnlyList<string>? UserIds = null);
