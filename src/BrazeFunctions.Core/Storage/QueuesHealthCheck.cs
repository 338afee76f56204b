using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// The <c>queues</c> entry of <c>GET /api/health/details</c>: the outbox and the poison queue, each with its name, whether it
/// exists, its approximate depth and the age of its first visible message. Healthy when storage answers for both; a backlog
/// is reported, not judged (the alerts on <c>relay.queue.*</c> do that). Never creates a queue.
/// </summary>
internal sealed class QueuesHealthCheck(RelayQueues queues, QueueInspector inspector) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (role, queue) in new[] { ("outbox", queues.Outbox), ("poison", queues.Poison) })
        {
            try
            {
                var snapshot = await inspector.InspectAsync(queue, cancellationToken).ConfigureAwait(false);
                data[role] = new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["queue"] = snapshot.Queue,
                    ["exists"] = snapshot.Exists,
                    ["approximateMessages"] = snapshot.ApproximateCount,
                    ["oldestAgeSeconds"] = snapshot.OldestAge is { } age ? Math.Round(age.TotalSeconds, 1) : null,
                };
            }
            catch (Exception ex) when (StorageFailure.Is(ex))
            {
                problems.Add($"queue '{queue.Name}' {StorageFailure.Describe(ex)}");
                data[role] = new Dictionary<string, object?>(StringComparer.Ordinal) { ["queue"] = queue.Name };
            }
        }

        return problems.Count == 0 ? HealthCheckResult.Healthy(data: data) : HealthCheckResult.Unhealthy(string.Join("; ", problems), data: data);
    }
}
