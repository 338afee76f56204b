using System.Globalization;
using System.Net.Http.Headers;

namespace BrazeFunctions.Core.Braze;

/// <summary>A rate-limit reset placed on Braze's clock, and whether the answer gave it as seconds remaining.</summary>
/// <param name="At">The instant on Braze's clock.</param>
/// <param name="Relative">
/// Read as seconds remaining from the answer's <c>Date</c>: whole seconds counted from a whole-second <c>Date</c>, so the
/// true instant may be up to a second later than <paramref name="At"/>.
/// </param>
internal readonly record struct RateLimitReset(DateTimeOffset At, bool Relative)
{
    /// <summary>The window id shared by every instance: the reset in whole epoch seconds of Braze's clock.</summary>
    public long Window => At.ToUnixTimeSeconds();

    /// <summary>How much later than <see cref="At"/> the reset may really be.</summary>
    public TimeSpan Slack => Relative ? TimeSpan.FromSeconds(1) : TimeSpan.Zero;
}

/// <summary>
/// What Braze said about its rate limit in one answer: <c>X-RateLimit-Limit</c>, <c>-Remaining</c> and <c>-Reset</c> (the
/// reset as Braze sent it: epoch seconds or seconds remaining, see <see cref="ResetWithin"/>), the retry wait of a 429
/// (<c>X-RateLimit-Retry-After</c>, <c>X-RateLimit-RetryAfter</c> or <c>Retry-After</c>, seconds or an HTTP date), and the
/// answer's <c>Date</c>, which places Braze's clock. Header names are matched in any case, since HTTP/2 delivers them
/// lower-case. Values that do not parse are ignored rather than trusted; no value can overflow the arithmetic.
/// </summary>
internal sealed record RateLimitInfo(long? Limit, long? Remaining, long? ResetValue, TimeSpan? RetryAfter)
{
    public const string LimitHeader = "X-RateLimit-Limit";
    public const string RemainingHeader = "X-RateLimit-Remaining";
    public const string ResetHeader = "X-RateLimit-Reset";
    public const string RetryAfterHyphenated = "X-RateLimit-Retry-After";
    public const string RetryAfterJoined = "X-RateLimit-RetryAfter";

    /// <summary>The longest wait any header is read as; anything beyond is capped long before the pacer's own bound applies.</summary>
    internal static readonly TimeSpan LongestReadableWait = TimeSpan.FromDays(3650);

    /// <summary>A reset this far before the answer's time is still read as epoch seconds (a window that has just ended).</summary>
    private static readonly TimeSpan EpochLeeway = TimeSpan.FromMinutes(1);

    /// <summary>Braze's <c>Date</c> header (whole seconds, Braze's clock), when the answer had a readable one.</summary>
    public DateTimeOffset? ServerDate { get; init; }

    /// <summary>When the answer arrived, on our clock: the reference for a reset or a retry date when <c>Date</c> is missing.</summary>
    public DateTimeOffset ObservedAt { get; init; }

    public static RateLimitInfo None { get; } = new(null, null, null, null);

    /// <summary>Reads the headers (case-insensitive by construction); <paramref name="now"/> is the arrival on our clock.</summary>
    public static RateLimitInfo Parse(HttpResponseHeaders headers, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(headers);
        string? Header(string name) => headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
        var date = headers.Date;
        var reference = date ?? now;
        TimeSpan? retryAfter = headers.RetryAfter switch
        {
            { Delta: { } delta } => Bounded(delta),
            { Date: { } at } => Bounded(at - reference),
            _ => null,
        };
        foreach (var name in (ReadOnlySpan<string>)[RetryAfterHyphenated, RetryAfterJoined])
        {
            if (ParseWait(Header(name), reference) is { } wait && (retryAfter is null || wait > retryAfter))
            {
                retryAfter = wait;
            }
        }

        return new RateLimitInfo(ParseCount(Header(LimitHeader)), ParseCount(Header(RemainingHeader)), ParseCount(Header(ResetHeader)), retryAfter)
        {
            ServerDate = date,
            ObservedAt = now,
        };
    }

    /// <summary>
    /// The reset on Braze's clock, read in either dialect and told apart against the answer's time (its <c>Date</c>, else
    /// our arrival): a value from a minute before that time to <paramref name="horizon"/> after it is epoch seconds; a
    /// value of at most <paramref name="horizon"/> in seconds is seconds remaining, counted from that time. Anything else
    /// (a reset further ahead than the horizon, an epoch long past) is ignored. Epoch seconds are about 1.7 billion and a
    /// horizon is at most days, so the two ranges never meet.
    /// </summary>
    public RateLimitReset? ResetWithin(TimeSpan horizon)
    {
        if (ResetValue is not { } value)
        {
            return null;
        }

        var reference = ServerDate ?? ObservedAt;
        var referenceSeconds = reference.ToUnixTimeSeconds();
        var horizonSeconds = (long)Math.Min(horizon.TotalSeconds, LongestReadableWait.TotalSeconds);
        if (value >= referenceSeconds - (long)EpochLeeway.TotalSeconds && value - referenceSeconds <= horizonSeconds)
        {
            return new RateLimitReset(DateTimeOffset.FromUnixTimeSeconds(value), Relative: false);
        }

        return value <= horizonSeconds ? new RateLimitReset(reference.AddSeconds(value), Relative: true) : null;
    }

    /// <summary>A non-negative whole number; anything else (a sign, a fraction, garbage, more than 18 digits) is ignored.</summary>
    private static long? ParseCount(string? value) =>
        value is { Length: > 0 and <= 18 } && long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;

    private static TimeSpan? ParseWait(string? value, DateTimeOffset reference)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        if (double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds))
        {
            return Bounded(TimeSpan.FromSeconds(Math.Min(seconds, LongestReadableWait.TotalSeconds)));
        }

        return DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var date)
            ? Bounded(date - reference)
            : null;
    }

    private static TimeSpan Bounded(TimeSpan wait) =>
        wait < TimeSpan.Zero ? TimeSpan.Zero : wait > LongestReadableWait ? LongestReadableWait : wait;
}
