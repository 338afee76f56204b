using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// What one bucket's answers taught this instance: its limit, the current window (named by its reset on Braze's clock),
/// the lowest Remaining seen in it, and the window's length. Braze's windows are fixed, so any two resets differ by a
/// whole number of lengths: the length is the greatest common divisor of the gaps between the last few resets. Only the
/// last few count, so an off-grid reset shrinks the length only until it ages out; and when an answer shows that a
/// predicted window has not begun (its reset is later than predicted), the evidence is dropped and the length learned
/// again from the answers that follow: a length can grow back. Not thread-safe: its owner locks it.
/// </summary>
internal sealed class LearnedWindow
{
    private const int RememberedResets = 6;
    private readonly SortedSet<long> _resets = [];
    private long _latestReset;
    private bool _predicted;

    public long? Limit { get; private set; }

    /// <summary>The current window: its reset in epoch seconds of Braze's clock; 0 before the first headers.</summary>
    public long Id { get; private set; }

    /// <summary>How much later than <see cref="ResetAt"/> the reset may be (a second when Braze gave seconds remaining).</summary>
    public TimeSpan Slack { get; private set; }

    /// <summary>Lowest Remaining seen in <see cref="Id"/>; null when no answer of this window arrived yet.</summary>
    public long? Remaining { get; private set; }

    /// <summary>The window's length in seconds, once two resets were seen.</summary>
    public long? LengthSeconds { get; private set; }

    public DateTimeOffset ResetAt => DateTimeOffset.FromUnixTimeSeconds(Id);

    /// <summary>
    /// Learns from one answer's headers. <paramref name="teachesLength"/> is false for a 429, whose reset says when to try
    /// again, which need not be a window boundary.
    /// </summary>
    public void Learn(long? limit, long? remaining, RateLimitReset? reset, bool teachesLength)
    {
        if (limit is null || remaining is null || reset is not { } known)
        {
            return;
        }

        // Seconds remaining are whole seconds from a whole-second Date: two answers about one window may differ by one.
        var tolerance = known.Relative ? 1 : 0;
        var window = known.Window;
        Limit = limit;
        if (_predicted && window > Id + tolerance)
        {
            // The window the length predicted has not begun: the length was too short. Start learning it again.
            _resets.Clear();
            LengthSeconds = null;
        }

        if (teachesLength)
        {
            Remember(window, tolerance);
        }

        if (Id != 0 && Math.Abs(window - Id) <= tolerance)
        {
            Remaining = Remaining is { } seen && !_predicted ? Math.Min(seen, remaining.Value) : remaining;
            _latestReset = Math.Max(_latestReset, window);
            _predicted = false;
        }
        else if (window > _latestReset + tolerance)
        {
            // Newer than anything Braze said before: this is the current window, whatever was predicted.
            _latestReset = Math.Max(_latestReset, window);
            Id = window;
            Slack = known.Slack;
            Remaining = remaining;
            _predicted = false;
        }

        // An answer from an earlier window says nothing about the current one.
    }

    /// <summary>
    /// Moves to the window that has begun since the last answer, predicted from the learned length (its budget is then
    /// assumed whole until an answer says otherwise). False when nothing is known, or the window is over and its length
    /// is not.
    /// </summary>
    public bool Roll(DateTimeOffset now, BrazeClock clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        if (Id == 0)
        {
            return false;
        }

        var ends = clock.Latest(ResetAt + Slack);
        if (now < ends)
        {
            return true;
        }

        if (LengthSeconds is not { } length)
        {
            return false;
        }

        var behind = (long)Math.Floor((now - ends).TotalSeconds / length) + 1;
        Id += behind * length;
        Remaining = null;
        _predicted = true;
        return true;
    }

    private void Remember(long reset, int tolerance)
    {
        if (_resets.GetViewBetween(reset - tolerance, reset + tolerance).Count > 0)
        {
            return;
        }

        _resets.Add(reset);
        while (_resets.Count > RememberedResets)
        {
            _resets.Remove(_resets.Min);
        }

        var gaps = _resets.Zip(_resets.Skip(1), (a, b) => b - a).ToList();
        if (gaps.Count == 0)
        {
            return;
        }

        if (tolerance == 0)
        {
            LengthSeconds = gaps.Aggregate(0L, Gcd);
            return;
        }

        // Gaps off by a second cannot take a greatest common divisor: the shortest gap is the length when every other gap
        // is within a second of a whole number of it; otherwise the evidence is not yet consistent and nothing changes.
        var shortest = gaps.Min();
        if (shortest > 2 * tolerance && gaps.All(g => Math.Abs(g - (Math.Round((double)g / shortest) * shortest)) <= tolerance))
        {
            LengthSeconds = shortest;
        }
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}
