namespace BrazeFunctions.Sandbox;

/// <summary>A scripted answer, used (in order) before the sandbox's normal behaviour.</summary>
internal abstract record SandboxAnswer
{
    /// <summary>
    /// Answer with this status and body without applying anything. A 429 closes the bucket until <paramref name="Reset"/>
    /// (or the window's end); <paramref name="RetryAfter"/> goes out under the bucket dialect's retry header, or as
    /// <c>Retry-After</c> when the dialect names none; <paramref name="Headers"/> replaces rate-limit header values.
    /// </summary>
    public sealed record Status(
        int Code,
        string Body = "{\"message\":\"scripted\"}",
        DateTimeOffset? Reset = null,
        string? RetryAfter = null,
        HeaderValues? Headers = null) : SandboxAnswer;

    /// <summary>Answer as usual (counted, validated, applied on 2xx) but with these rate-limit header values.</summary>
    public sealed record WithHeaders(HeaderValues Headers) : SandboxAnswer;

    /// <summary>Wait (real time) before answering normally: long enough to trip the client's timeout.</summary>
    public sealed record Delay(TimeSpan Wait) : SandboxAnswer;

    /// <summary>Abort the connection without an answer.</summary>
    public sealed record Drop : SandboxAnswer;

    /// <summary>Apply the request as a 201 would (profiles, counters, triggers), then abort the connection: a lost answer.</summary>
    public sealed record ApplyThenDrop : SandboxAnswer;

    /// <summary>Apply the request, then answer with this status (a 500/502/504 after the work was done).</summary>
    public sealed record ApplyThenStatus(int Code) : SandboxAnswer;

    /// <summary>
    /// Send the status line, the headers and half of the body, then stall until the client gives up or the sandbox stops:
    /// a proxy that hangs mid-answer. <paramref name="Apply"/>: whether Braze did the work before the answer stalled.
    /// </summary>
    public sealed record StallAfterHeaders(int Code = 201, bool Apply = true) : SandboxAnswer;

    /// <summary>
    /// Answer with a chunked body of <paramref name="Bytes"/> bytes and no <c>Content-Length</c> (a JSON object whose padding
    /// never ends soon), to test that a client reads answers with a length limit.
    /// </summary>
    public sealed record HugeChunkedBody(long Bytes = 64L * 1024 * 1024, int Code = 201, bool Apply = true) : SandboxAnswer;
}

/// <summary>Rate-limit header values that replace what the sandbox would send: null keeps its value, empty leaves the header out.</summary>
internal sealed record HeaderValues(string? Limit = null, string? Remaining = null, string? Reset = null, string? RetryAfter = null);

/// <summary>Answers no well-behaved Braze sends, for tests of a client's bounds (and the sandbox's <c>--hostile</c> option).</summary>
internal static class HostileAnswers
{
    public const string RateLimitedBody = "{\"message\":\"Rate limit exceeded\"}";

    /// <summary>Two days in seconds.</summary>
    public const string TwoDaysSeconds = "172800";

    /// <summary>9999-12-31T23:59:59Z in epoch seconds.</summary>
    public const string Year9999EpochSeconds = "253402300799";

    /// <summary>The kinds <see cref="Create"/> knows, as the command line names them.</summary>
    public static IReadOnlyList<string> Kinds { get; } =
        ["retry-after-two-days", "reset-year-9999", "rate-limited-until-year-9999", "negative", "negative-429", "garbage", "garbage-429"];

    /// <summary>A 429 whose retry header asks for two days, although the bucket reopens at its window's end.</summary>
    public static SandboxAnswer RetryAfterTwoDays() => new SandboxAnswer.Status(429, RateLimitedBody, RetryAfter: TwoDaysSeconds);

    /// <summary>A normal (applied) answer whose <c>X-RateLimit-Reset</c> is the last second of the year 9999.</summary>
    public static SandboxAnswer ResetInYear9999() => new SandboxAnswer.WithHeaders(new HeaderValues(Reset: Year9999EpochSeconds));

    /// <summary>A 429 whose reset is the year 9999 (the bucket itself reopens at its window's end).</summary>
    public static SandboxAnswer RateLimitedUntilYear9999() =>
        new SandboxAnswer.Status(429, RateLimitedBody, Headers: new HeaderValues(Remaining: "0", Reset: Year9999EpochSeconds));

    /// <summary>Negative limit, remaining and reset on an applied answer, or a 429 with a negative wait.</summary>
    public static SandboxAnswer Negative(bool rateLimited) => rateLimited
        ? new SandboxAnswer.Status(429, RateLimitedBody, RetryAfter: "-30", Headers: new HeaderValues("-5", "-1", "-1700000000"))
        : new SandboxAnswer.WithHeaders(new HeaderValues("-5", "-1", "-1700000000"));

    /// <summary>Values that are not numbers, on an applied answer or on a 429.</summary>
    public static SandboxAnswer Garbage(bool rateLimited) => rateLimited
        ? new SandboxAnswer.Status(429, RateLimitedBody, RetryAfter: "soon-ish", Headers: new HeaderValues("lots", "0x1F", "tomorrow"))
        : new SandboxAnswer.WithHeaders(new HeaderValues("lots", "1e9999", "tomorrow"));

    public static SandboxAnswer Create(string kind) => kind switch
    {
        "retry-after-two-days" => RetryAfterTwoDays(),
        "reset-year-9999" => ResetInYear9999(),
        "rate-limited-until-year-9999" => RateLimitedUntilYear9999(),
        "negative" => Negative(rateLimited: false),
        "negative-429" => Negative(rateLimited: true),
        "garbage" => Garbage(rateLimited: false),
        "garbage-429" => Garbage(rateLimited: true),
        _ => throw new FormatException($"unknown hostile answer '{kind}' (expected {string.Join(", ", Kinds)})"),
    };
}
