namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// Places Braze's clock on ours, from the <c>Date</c> header of its answers. An answer generated at Braze time t carries
/// <c>Date</c> = t rounded down to the second; it was generated after our request left and before its answer arrived.
/// So for every answer, (arrival - Date) is an upper bound of the offset (our clock minus Braze's) and
/// (departure - Date - 1 s) a lower bound; the tightest of each over recent answers bracket the true offset, within the
/// fastest round trip once answers have come from both sides of a second boundary. A Braze instant such as a rate-limit
/// reset is then never before <see cref="Latest"/> and never after <see cref="Earliest"/> on our clock: the pacer stops
/// spending a window at the earliest and opens the next at the latest, so that no request is counted in a window it
/// was not budgeted for. Without any <c>Date</c>, the clocks are assumed equal within a second.
/// </summary>
internal sealed class BrazeClock
{
    internal static readonly TimeSpan FallbackMargin = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DateResolution = TimeSpan.FromSeconds(1);
    private const int MaxSamples = 128;
    private static readonly TimeSpan SampleLifetime = TimeSpan.FromMinutes(10);

    private readonly object _gate = new();
    private readonly Queue<(DateTimeOffset At, TimeSpan Upper, TimeSpan Lower)> _samples = new();
    private TimeSpan? _upperBound;
    private TimeSpan? _lowerBound;

    /// <summary>The bounds of (our clock - Braze's clock), once an answer with a <c>Date</c> was seen.</summary>
    public (TimeSpan Lower, TimeSpan Upper)? OffsetBounds
    {
        get
        {
            lock (_gate)
            {
                return _upperBound is { } upper ? (_lowerBound ?? upper, upper) : null;
            }
        }
    }

    public void Observe(DateTimeOffset sentAt, DateTimeOffset receivedAt, DateTimeOffset? serverDate)
    {
        if (serverDate is not { } date)
        {
            return;
        }

        lock (_gate)
        {
            _samples.Enqueue((receivedAt, receivedAt - date, sentAt - date - DateResolution));
            while (_samples.Count > MaxSamples || (_samples.Count > 1 && receivedAt - _samples.Peek().At > SampleLifetime))
            {
                _samples.Dequeue();
            }

            _upperBound = _samples.Min(s => s.Upper);
            var lower = _samples.Max(s => s.Lower);
            // Clocks that jumped can make the bounds cross; the upper bound is the safe one to keep.
            _lowerBound = lower <= _upperBound ? lower : _upperBound;
        }
    }

    /// <summary>The latest our clock can be when Braze's clock shows <paramref name="brazeTime"/>: open the next window here.</summary>
    public DateTimeOffset Latest(DateTimeOffset brazeTime) => brazeTime + (OffsetBounds?.Upper ?? FallbackMargin);

    /// <summary>The earliest our clock can be when Braze's clock shows <paramref name="brazeTime"/>: stop spending the window here.</summary>
    public DateTimeOffset Earliest(DateTimeOffset brazeTime) => brazeTime + (OffsetBounds?.Lower ?? -FallbackMargin);
}
