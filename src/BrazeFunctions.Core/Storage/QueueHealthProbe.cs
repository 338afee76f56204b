using System.Text.Json.Nodes;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// Answers the anonymous <c>GET /api/health</c>: status only, <c>200 {"status":"healthy"}</c> when storage answers for the
/// outbox, <c>503 {"status":"unhealthy"}</c> when it does not. No queue name, no backlog (that is
/// <c>GET /api/health/details</c>, behind a function key), and it never creates anything: a queue that does not exist yet
/// is healthy, because the ingress creates it with the first webhook.
/// </summary>
public sealed class QueueHealthProbe(RelayQueues queues, ILogger<QueueHealthProbe> logger)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<JsonReply> CheckAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await queues.Outbox.GetPropertiesIfExistsAsync(timeout.Token).ConfigureAwait(false);
            return JsonReply.Healthy(new JsonObject { ["status"] = "healthy" });
        }
        catch (Exception ex) when (StorageFailure.Is(ex))
        {
            Log.HealthCheckFailed(logger, queues.Outbox.Name, ex.GetType().Name, StorageFailure.Status(ex), StorageFailure.ErrorCode(ex));
            return JsonReply.Problem(StatusCodes.Status503ServiceUnavailable, "unhealthy",
                "The relay cannot reach its storage. GET /api/health/details (with a function key) and the logs (event 4001) say why.",
                new JsonObject { ["status"] = "unhealthy" });
        }
    }
}
