using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Core.Pacing;

/// <summary>How long a 429 closes its bucket, and whether the hold was cut short (then one probe goes first).</summary>
internal readonly record struct Hold(DateTimeOffset Until, bool Capped);

/// <summary>
/// The one rule for the wait after a 429. Braze's retry wait (<c>X-RateLimit-Retry-After</c>,
/// <c>X-RateLimit-RetryAfter</c> or <c>Retry-After</c>) decides when it is there: on contracts whose headers describe the
/// hourly limit a 429 may come from the burst limit, and only the retry wait speaks for that. Without it, the reset
/// decides (placed on our clock at the latest it can be); without either, <see cref="PacingOptions.RateLimitFallbackWait"/>.
/// No hold lasts longer than <see cref="PacingOptions.MaxRateLimitHold"/>: a longer one is cut to it and marked, so that one
/// probe request goes first when it ends.
/// </summary>
internal static class HoldRule
{
    public static Hold After429(RateLimitInfo info, DateTimeOffset now, BrazeClock clock, TimeSpan fallback, TimeSpan maxHold)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(clock);
        TimeSpan wait;
        if (info.RetryAfter is { } retryAfter)
        {
            wait = retryAfter;
        }
        else if (info.ResetWithin(maxHold) is { } reset)
        {
            wait = clock.Latest(reset.At + reset.Slack) - now;
        }
        else
        {
            wait = fallback;
        }

        if (wait < TimeSpan.Zero)
        {
            wait = TimeSpan.Zero;
        }

        var capped = wait > maxHold;
        return new Hold(now + (capped ? maxHold : wait), capped);
    }
}
