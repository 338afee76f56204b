using BrazeFunctions.Core.Diagnostics;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// The queue probe the timer runs: inspects the outbox and the poison queue and records <c>relay.queue.depth</c> and
/// <c>relay.queue.oldest_age</c> for each. A queue that cannot be read is logged (event 4004) and skipped, so one failing
/// queue does not hide the other.
/// </summary>
public sealed class QueueMonitor(RelayQueues queues, QueueInspector inspector, QueueMetrics metrics, ILogger<QueueMonitor> logger)
{
    public async Task<IReadOnlyList<QueueSnapshot>> ProbeAsync(CancellationToken cancellationToken)
    {
        var snapshots = new List<QueueSnapshot>(2);
        foreach (var queue in new[] { queues.Outbox, queues.Poison })
        {
            try
            {
                var snapshot = await inspector.InspectAsync(queue, cancellationToken).ConfigureAwait(false);
                metrics.Record(snapshot);
                Log.QueueProbed(logger, snapshot.Queue, snapshot.Exists, snapshot.ApproximateCount, snapshot.OldestAge?.TotalSeconds);
                snapshots.Add(snapshot);
            }
            catch (Exception ex) when (StorageFailure.Is(ex) && !cancellationToken.IsCancellationRequested)
            {
                Log.QueueProbeFailed(logger, queue.Name, ex.GetType().Name, StorageFailure.Status(ex), StorageFailure.ErrorCode(ex));
            }
        }

        return snapshots;
    }
}
