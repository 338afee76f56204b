using System.Collections.Concurrent;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>
/// Per-instance memory of Braze rate-limit windows, by endpoint family. After a 429 (or an answer saying no requests remain)
/// the family is closed until the reset, and every dispatch on this instance checks here before it sends: one 429 must not
/// become fifty.
/// </summary>
public sealed class RateLimitGate(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _closedUntil = new(StringComparer.Ordinal);

    /// <summary>Time left before <paramref name="family"/> may be called again; zero when it is open.</summary>
    public TimeSpan Remaining(string family)
    {
        if (!_closedUntil.TryGetValue(family, out var until))
        {
            return TimeSpan.Zero;
        }

        var left = until - time.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>Closes <paramref name="family"/> until <paramref name="until"/>; an earlier close that lasts longer wins.</summary>
    public void Close(string family, DateTimeOffset until) =>
        _closedUntil.AddOrUpdate(family, until, (_, current) => until > current ? until : current);
}
