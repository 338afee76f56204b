namespace BrazeFunctions.Sandbox;

/// <summary>What the rate-limit headers of one answer say: the bucket's limit, what is left, and when the window ends.</summary>
internal readonly record struct RateState(int Limit, int Remaining, DateTimeOffset Reset);

/// <summary>A 429 window as the sandbox announced it: from the first 429 until the time it named.</summary>
internal readonly record struct Announcement(DateTimeOffset AnsweredAt, DateTimeOffset Until, long? By);

/// <summary>
/// Fixed windows per bucket, aligned on the Unix epoch, and the 429 windows announced per bucket. Every request counts
/// against its bucket's current window; nothing one bucket does touches another's counts or announcements.
/// </summary>
internal sealed class RateWindows
{
    private readonly object _gate = new();
    private readonly Dictionary<BrazeBucket, BucketLimit> _limits = [];
    private readonly Dictionary<(BrazeBucket Bucket, long Window), int> _counts = [];
    private readonly Dictionary<BrazeBucket, Announcement> _announced = [];

    public RateWindows()
    {
        foreach (var bucket in Enum.GetValues<BrazeBucket>())
        {
            _limits[bucket] = BrazeBuckets.DefaultLimit(bucket);
        }
    }

    public BucketLimit Limit(BrazeBucket bucket)
    {
        lock (_gate)
        {
            return _limits[bucket];
        }
    }

    public void SetLimit(BrazeBucket bucket, BucketLimit limit)
    {
        lock (_gate)
        {
            _limits[bucket] = limit;
        }
    }

    /// <summary>Counts one request; <see cref="RateState.Remaining"/> is negative once the window is overspent.</summary>
    public RateState Count(BrazeBucket bucket, DateTimeOffset arrived)
    {
        lock (_gate)
        {
            var limit = _limits[bucket];
            var (window, reset) = WindowAt(limit, arrived);
            var count = _counts.GetValueOrDefault((bucket, window)) + 1;
            _counts[(bucket, window)] = count;
            if (_counts.Count > 256)
            {
                Prune(bucket, window);
            }

            return new RateState(limit.Requests, limit.Requests - count, reset);
        }
    }

    /// <summary>The bucket's headers without counting a request (a scripted answer that never reached the limiter).</summary>
    public RateState Peek(BrazeBucket bucket, DateTimeOffset at)
    {
        lock (_gate)
        {
            var limit = _limits[bucket];
            var (window, reset) = WindowAt(limit, at);
            return new RateState(limit.Requests, limit.Requests - _counts.GetValueOrDefault((bucket, window)), reset);
        }
    }

    /// <summary>The announcement a request arriving at <paramref name="arrived"/> falls into, if any.</summary>
    public Announcement? AnnouncedAt(BrazeBucket bucket, DateTimeOffset arrived)
    {
        lock (_gate)
        {
            return _announced.TryGetValue(bucket, out var window) && arrived > window.AnsweredAt && arrived < window.Until ? window : null;
        }
    }

    /// <summary>The time until which the bucket answers 429 whatever its count, if a 429 closed it.</summary>
    public DateTimeOffset? ClosedUntil(BrazeBucket bucket, DateTimeOffset arrived)
    {
        lock (_gate)
        {
            return _announced.TryGetValue(bucket, out var closed) && arrived < closed.Until ? closed.Until : null;
        }
    }

    public void Announce(BrazeBucket bucket, DateTimeOffset answeredAt, DateTimeOffset until, long? by)
    {
        lock (_gate)
        {
            // A window is announced by its first 429; later 429s inside it do not move its start.
            if (!_announced.TryGetValue(bucket, out var current) || current.Until <= answeredAt)
            {
                _announced[bucket] = new Announcement(answeredAt, until, by);
            }
            else if (current.Until < until)
            {
                _announced[bucket] = current with { Until = until };
            }
        }
    }

    private static (long Window, DateTimeOffset Reset) WindowAt(BucketLimit limit, DateTimeOffset at)
    {
        var seconds = (long)limit.Window.TotalSeconds;
        var window = (long)Math.Floor(at.ToUnixTimeMilliseconds() / 1000d / seconds);
        return (window, DateTimeOffset.FromUnixTimeSeconds((window + 1) * seconds));
    }

    private void Prune(BrazeBucket bucket, long current)
    {
        foreach (var key in _counts.Keys.Where(k => k.Bucket == bucket && k.Window < current - 1).ToList())
        {
            _counts.Remove(key);
        }
    }
}
