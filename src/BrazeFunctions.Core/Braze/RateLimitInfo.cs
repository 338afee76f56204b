using System.Globalization;
using System.Net.Http.Headers;

namespace BrazeFunctions.Core.Braze;

/// <summary>
/// What Braze said about its rate limit in one answer: the three <c>X-RateLimit-*</c> headers (the reset in UTC epoch
/// seconds), an optional <c>Retry-After</c> or <c>X-RateLimit-Retry-After</c> (seconds or an HTTP date), and the answer's
/// <c>Date</c>, which places the reset on Braze's clock. Header names are matched in any case, since HTTP/2 delivers them
/// lower-case.
/// </summary>
internal sealed record RateLimitInfo(long? Limit, long? Remaining, DateTimeOffset? Reset, TimeSpan? RetryAfter)
{
    public const string LimitHeader = "X-RateLimit-Limit";
    public const string RemainingHeader = "X-RateLimit-Remaining";
    public const string ResetHeader = "X-RateLimit-Reset";
    public const string RateLimitRetryAfterHeader = "X-RateLimit-Retry-After";

    /// <summary>Braze's <c>Date</c> header (whole seconds, Braze's clock), when the answer had one.</summary>
    public DateTimeOffset? ServerDate { get; init; }

    /// <summary>True when the answer carried the headers pacing needs: limit, remaining and reset.</summary>
    public bool HasWindow => Limit is not null && Remaining is not null && Reset is not null;

    public static RateLimitInfo None { get; } = new(null, null, null, null);

    /// <summary>Reads the headers; values that do not parse are ignored rather than trusted.</summary>
    /// <param name="headers">The response headers (case-insensitive by construction).</param>
    /// <param name="now">The current time, to turn a <c>Retry-After</c> date into a duration.</param>
    public static RateLimitInfo Parse(HttpResponseHeaders headers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(headers);
        return Parse(name => headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null, now);
    }

    /// <summary>Reads the headers through a lookup that must ignore case.</summary>
    public static RateLimitInfo Parse(Func<string, string?> header, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(header);
        var limit = ParseCount(header(LimitHeader));
        var remaining = ParseCount(header(RemainingHeader));
        DateTimeOffset? reset = null;
        if (long.TryParse(header(ResetHeader)?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var epoch) && epoch is > 0 and < 253402300799)
        {
            reset = DateTimeOffset.FromUnixTimeSeconds(epoch);
        }

        var retryAfter = ParseRetryAfter(header("Retry-After"), now);
        var rateLimitRetryAfter = ParseRetryAfter(header(RateLimitRetryAfterHeader), now);
        if (rateLimitRetryAfter is { } other && (retryAfter is null || other > retryAfter))
        {
            retryAfter = other;
        }

        return new RateLimitInfo(limit, remaining, reset, retryAfter) { ServerDate = ParseHttpDate(header("Date")) };
    }

    /// <summary>
    /// How long to hold off after a 429: the later of the reset and <c>Retry-After</c>, never negative;
    /// <paramref name="fallback"/> when Braze sent neither.
    /// </summary>
    public TimeSpan WaitAfterRateLimit(DateTimeOffset now, TimeSpan fallback)
    {
        TimeSpan? wait = null;
        if (Reset is { } reset)
        {
            wait = reset - now;
        }

        if (RetryAfter is { } retryAfter && (wait is null || retryAfter > wait))
        {
            wait = retryAfter;
        }

        return wait is { } w ? (w < TimeSpan.Zero ? TimeSpan.Zero : w) : fallback;
    }

    private static long? ParseCount(string? value) =>
        long.TryParse(value?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;

    private static TimeSpan? ParseRetryAfter(string? value, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.FromDays(30).TotalSeconds));
        }

        if (ParseHttpDate(value) is { } date)
        {
            var delta = date - now;
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        return null;
    }

    private static DateTimeOffset? ParseHttpDate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        return DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var date)
            || DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out date)
                ? date
                : null;
    }
}
