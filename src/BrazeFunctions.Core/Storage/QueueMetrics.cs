using System.Diagnostics.Metrics;
using BrazeFunctions.Core.Diagnostics;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// The queue gauges, on the relay's meter: <c>relay.queue.depth</c> and <c>relay.queue.oldest_age</c>, each tagged with the
/// queue's name (<c>braze-outbox</c>, <c>braze-outbox-poison</c> by default). Recorded by the queue probe timer.
/// </summary>
public sealed class QueueMetrics
{
    public const string DepthName = "relay.queue.depth";
    public const string OldestAgeName = "relay.queue.oldest_age";

    private readonly Gauge<long> _depth;
    private readonly Gauge<double> _oldestAge;

    public QueueMetrics(RelayMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _depth = metrics.Meter.CreateGauge<long>(DepthName, "{message}", "Approximate number of messages on a relay queue, deferred ones included.");
        _oldestAge = metrics.Meter.CreateGauge<double>(OldestAgeName, "s", "Age of the first visible message of a relay queue (0 when none is visible).");
    }

    public void Record(QueueSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var tag = new KeyValuePair<string, object?>("queue", snapshot.Queue);
        _depth.Record(snapshot.ApproximateCount, tag);
        _oldestAge.Record(snapshot.OldestAge?.TotalSeconds ?? 0, tag);
    }
}
