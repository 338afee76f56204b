using BrazeFunctions.Core.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// The check behind the anonymous <c>GET /api/health</c>: healthy when storage answers for the outbox. It never creates
/// anything: a queue that does not exist yet is healthy, because the ingress creates it with the first webhook. Its
/// description is the fixed text the anonymous caller may see; the queue and the storage error go to the log (event 4001) only.
/// </summary>
internal sealed class OutboxHealthCheck(RelayQueues queues, ILogger<OutboxHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        try
        {
            await queues.Outbox.GetPropertiesIfExistsAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (StorageFailure.Is(ex))
        {
            // The time limit's cancellation is caught here too, so that an outbox that does not answer is logged like one that refuses.
            Log.HealthCheckFailed(logger, queues.Outbox.Name, ex.GetType().Name, StorageFailure.Status(ex), StorageFailure.ErrorCode(ex));
            return HealthCheckResult.Unhealthy("The relay cannot reach its storage.");
        }
    }
}
