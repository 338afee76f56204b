using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// Every random spread the pacer applies, in one place, so that waiting requests and deferred messages do not all come
/// back at the same instant. Randomness is injected like time, so that tests are deterministic.
/// </summary>
internal sealed class PaceJitter(IRandomSource random, IOptions<PacingOptions> options)
{
    /// <summary>A contended ledger write is tried again after up to this long.</summary>
    private static readonly TimeSpan ContentionBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>A wait served in place after a hold: up to <see cref="PacingOptions.RateLimitJitter"/> more, so that the waiting requests do not all fire at the reset.</summary>
    public TimeSpan Stagger(TimeSpan wait) => wait + (options.Value.RateLimitJitter * random.NextDouble());

    /// <summary>
    /// A wait a message is deferred for: up to <see cref="PacingOptions.RateLimitJitter"/> plus up to a tenth of the wait
    /// more, so that a burst of deferred messages comes back spread over the time its budget sends it.
    /// </summary>
    public TimeSpan Defer(TimeSpan wait)
    {
        wait = wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        return wait + (options.Value.RateLimitJitter * random.NextDouble()) + (wait * 0.1 * random.NextDouble());
    }

    /// <summary>When a claim that lost every conditional write to other instances asks the ledger again.</summary>
    public TimeSpan AfterContention() => ContentionBackoff * (0.5 + random.NextDouble());

    /// <summary>Where in its slot a window's spread starts (0 to 1), drawn per window.</summary>
    public double Phase() => random.NextDouble();
}
