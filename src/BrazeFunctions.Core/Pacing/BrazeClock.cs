namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// Places Braze's clock on ours, from the <c>Date</c> header of its answers. An answer generated at Braze time t carries
/// <c>Date</c> = t rounded down to the second and arrives here after t, so (local arrival - Date) is never below the true
/// offset; the smallest value over recent answers is a tight upper bound of it. Turning a reset time with that bound is
/// never early, and it becomes exact to within the fastest round trip once answers have arrived on both sides of a
/// second boundary. Without any <c>Date</c>, the clocks are assumed equal with a one-second margin.
/// </summary>
internal sealed class BrazeClock
{
    internal static readonly TimeSpan FallbackMargin = TimeSpan.FromSeconds(1);
    private const int MaxSamples = 128;
    private static readonly TimeSpan SampleLifetime = TimeSpan.FromMinutes(10);

    private readonly object _gate = new();
    private readonly Queue<(DateTimeOffset At, TimeSpan Offset)> _samples = new();
    private TimeSpan? _upperBound;

    /// <summary>The current bound of (our clock - Braze's clock), when an answer with a <c>Date</c> was seen.</summary>
    public TimeSpan? OffsetUpperBound
    {
        get
        {
            lock (_gate)
            {
                return _upperBound;
            }
        }
    }

    public void Observe(DateTimeOffset receivedAt, DateTimeOffset? serverDate)
    {
        if (serverDate is not { } date)
        {
            return;
        }

        lock (_gate)
        {
            _samples.Enqueue((receivedAt, receivedAt - date));
            while (_samples.Count > MaxSamples || (_samples.Count > 1 && receivedAt - _samples.Peek().At > SampleLifetime))
            {
                _samples.Dequeue();
            }

            _upperBound = _samples.Min(s => s.Offset);
        }
    }

    /// <summary>When a Braze instant (e.g. a rate-limit reset) happens on our clock, never early.</summary>
    public DateTimeOffset ToLocal(DateTimeOffset brazeTime) => brazeTime + (OffsetUpperBound ?? FallbackMargin);
}
