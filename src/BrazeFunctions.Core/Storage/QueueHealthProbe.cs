using BrazeFunctions.Core.Http;
using System.Text.Json.Nodes;
using Azure;
using BrazeFunctions.Core.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Storage;

/// <summary>Answers <c>GET /api/health</c>: 200 when the outbox queue answers, 503 with the reason when it does not.</summary>
public sealed class QueueHealthProbe(RelayQueues queues, ILogger<QueueHealthProbe> logger)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<JsonReply> CheckAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            var properties = await queues.Outbox.ProbeAsync(timeout.Token).ConfigureAwait(false);
            return JsonReply.Healthy(new JsonObject
            {
                ["status"] = "healthy",
                ["queue"] = queues.Outbox.Name,
                ["approximateMessages"] = properties.ApproximateMessagesCount,
            });
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or IOException or TimeoutException or HttpRequestException or OperationCanceledException or Azure.Identity.AuthenticationFailedException)
        {
            var failed = ex as RequestFailedException;
            Log.HealthCheckFailed(logger, queues.Outbox.Name, ex.GetType().Name, failed?.Status ?? 0, failed?.ErrorCode);
            var reason = failed is not null
                ? $"Queue '{queues.Outbox.Name}' answered {failed.Status} {failed.ErrorCode}."
                : $"Queue '{queues.Outbox.Name}' is not reachable ({(ex is OperationCanceledException ? "timed out" : ex.GetType().Name)}).";
            return JsonReply.Problem(StatusCodes.Status503ServiceUnavailable, "unhealthy", reason, new JsonObject { ["status"] = "unhealthy" });
        }
    }
}
