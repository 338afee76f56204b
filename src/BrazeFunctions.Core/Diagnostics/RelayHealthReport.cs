using System.Text.Json;
using System.Text.Json.Nodes;
using BrazeFunctions.Core.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Diagnostics;

/// <summary>
/// Answers <c>GET /api/health/details</c> (function key): every registered <see cref="IRelayHealthCheck"/>, run side by side
/// with a time limit each. 200 when all are healthy, else 503 with each problem. A check that throws or overruns is
/// reported as unhealthy, never as a 500.
/// </summary>
public sealed class RelayHealthReport(IEnumerable<IRelayHealthCheck> checks, ILogger<RelayHealthReport> logger)
{
    internal static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    public async Task<JsonReply> CheckAsync(CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(checks.Select(c => RunAsync(c, cancellationToken))).ConfigureAwait(false);
        var body = new JsonObject();
        var problems = new List<string>();
        foreach (var (name, result) in results.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            var entry = new JsonObject { ["healthy"] = result.Healthy };
            if (result.Problem is not null)
            {
                entry["problem"] = result.Problem;
                problems.Add($"{name}: {result.Problem}");
            }

            entry["data"] = JsonSerializer.SerializeToNode(result.Data, JsonSerializerOptions.Web);
            body[name] = entry;
        }

        return problems.Count == 0
            ? JsonReply.Healthy(new JsonObject { ["status"] = "healthy", ["checks"] = body })
            : JsonReply.Problem(StatusCodes.Status503ServiceUnavailable, "unhealthy", string.Join("; ", problems), new JsonObject { ["status"] = "unhealthy", ["checks"] = body });
    }

    private async Task<(string Name, RelayHealthResult Result)> RunAsync(IRelayHealthCheck check, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        RelayHealthResult result;
        try
        {
            result = await check.CheckAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            result = new RelayHealthResult(false, $"no answer within {CheckTimeout.TotalSeconds:0} s", new Dictionary<string, object?>());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            result = new RelayHealthResult(false, $"the check failed ({ex.GetType().Name})", new Dictionary<string, object?>());
        }

        if (!result.Healthy)
        {
            Log.HealthCheckUnhealthy(logger, check.Name, result.Problem ?? "unhealthy");
        }

        return (check.Name, result);
    }
}
