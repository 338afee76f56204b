namespace BrazeFunctions.Sandbox;

/// <summary>How <c>X-RateLimit-Reset</c> is written: Braze's pages disagree, so the sandbox speaks both.</summary>
internal enum ResetStyle
{
    /// <summary>UTC epoch seconds of the window's end (the rate-limits page).</summary>
    EpochSeconds,

    /// <summary>Seconds until the window's end (the Monthly Active Users CY 24-25 section).</summary>
    SecondsRemaining,
}

/// <summary>Which header carries the wait on a 429 (Braze's docs name both X-RateLimit spellings; proxies send Retry-After).</summary>
internal enum RetryAfterStyle
{
    /// <summary>No retry header on a 429 past the limit (a scripted answer's value still goes out as <c>Retry-After</c>).</summary>
    None,

    /// <summary><c>X-RateLimit-Retry-After</c>, seconds.</summary>
    XRateLimitRetryAfter,

    /// <summary><c>X-RateLimit-RetryAfter</c>, seconds.</summary>
    XRateLimitRetryAfterUnhyphenated,

    /// <summary><c>Retry-After</c>, seconds.</summary>
    RetryAfterSeconds,

    /// <summary><c>Retry-After</c>, an HTTP date.</summary>
    RetryAfterHttpDate,
}

/// <summary>
/// The rate-limit header dialect of one bucket. Kestrel writes the headers it knows (<c>Date</c>, <c>Retry-After</c>) in
/// their canonical case, so <see cref="LowerCaseNames"/> lower-cases the <c>X-RateLimit-*</c> names only.
/// </summary>
internal sealed record HeaderDialect(
    ResetStyle Reset = ResetStyle.EpochSeconds,
    RetryAfterStyle RetryAfter = RetryAfterStyle.None,
    bool TrioOn429 = true,
    bool LowerCaseNames = false,
    bool SendDate = true)
{
    public static HeaderDialect Default { get; } = new();

    /// <summary>
    /// Applies comma-separated tokens to this dialect: <c>reset=epoch|remaining</c>,
    /// <c>retry-after=none|x-ratelimit-retry-after|x-ratelimit-retryafter|retry-after|retry-after-date</c>,
    /// <c>no-trio-on-429</c>, <c>trio-on-429</c>, <c>lower-case</c>, <c>no-date</c>.
    /// </summary>
    public static HeaderDialect Parse(string tokens, HeaderDialect start)
    {
        var dialect = start;
        foreach (var token in tokens.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            dialect = token.ToLowerInvariant() switch
            {
                "reset=epoch" => dialect with { Reset = ResetStyle.EpochSeconds },
                "reset=remaining" => dialect with { Reset = ResetStyle.SecondsRemaining },
                "retry-after=none" => dialect with { RetryAfter = RetryAfterStyle.None },
                "retry-after=x-ratelimit-retry-after" => dialect with { RetryAfter = RetryAfterStyle.XRateLimitRetryAfter },
                "retry-after=x-ratelimit-retryafter" => dialect with { RetryAfter = RetryAfterStyle.XRateLimitRetryAfterUnhyphenated },
                "retry-after=retry-after" => dialect with { RetryAfter = RetryAfterStyle.RetryAfterSeconds },
                "retry-after=retry-after-date" => dialect with { RetryAfter = RetryAfterStyle.RetryAfterHttpDate },
                "no-trio-on-429" => dialect with { TrioOn429 = false },
                "trio-on-429" => dialect with { TrioOn429 = true },
                "lower-case" => dialect with { LowerCaseNames = true },
                "no-date" => dialect with { SendDate = false },
                _ => throw new FormatException($"unknown dialect token '{token}' (expected reset=epoch|remaining, retry-after=none|x-ratelimit-retry-after|x-ratelimit-retryafter|retry-after|retry-after-date, no-trio-on-429, lower-case, no-date)"),
            };
        }

        return dialect;
    }

    public override string ToString()
    {
        var parts = new List<string>
        {
            Reset == ResetStyle.EpochSeconds ? "reset=epoch" : "reset=remaining",
            "retry-after=" + RetryAfter switch
            {
                RetryAfterStyle.XRateLimitRetryAfter => "x-ratelimit-retry-after",
                RetryAfterStyle.XRateLimitRetryAfterUnhyphenated => "x-ratelimit-retryafter",
                RetryAfterStyle.RetryAfterSeconds => "retry-after",
                RetryAfterStyle.RetryAfterHttpDate => "retry-after-date",
                _ => "none",
            },
        };
        if (!TrioOn429)
        {
            parts.Add("no-trio-on-429");
        }

        if (LowerCaseNames)
        {
            parts.Add("lower-case");
        }

        if (!SendDate)
        {
            parts.Add("no-date");
        }

        return string.Join(',', parts);
    }
}
