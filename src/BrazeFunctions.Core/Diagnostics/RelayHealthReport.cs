using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using BrazeFunctions.Core.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Diagnostics;

/// <summary>
/// Turns <see cref="HealthCheckService"/>'s report into the answers of the two health endpoints:
/// <list type="bullet">
/// <item><c>GET /api/health</c> (anonymous): the checks tagged <see cref="RelayHealthChecks.StatusTag"/>, status only,
/// <c>200 {"status":"healthy"}</c> or <c>503</c> with <c>"status":"unhealthy"</c> and a fixed message: no check name, queue or backlog;</item>
/// <item><c>GET /api/health/details</c> (function key): the checks tagged <see cref="RelayHealthChecks.DetailsTag"/>, each under
/// its name with its data, 200 when all are healthy, else 503 naming each problem.</item>
/// </list>
/// A check that throws or overruns its time limit is reported as unhealthy, never as a 500, and its exception's message is
/// never shown (it may name what only the logs should).
/// </summary>
public sealed class RelayHealthReport(HealthCheckService health, ILogger<RelayHealthReport> logger)
{
    public async Task<JsonReply> StatusAsync(CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(r => r.Tags.Contains(RelayHealthChecks.StatusTag), cancellationToken).ConfigureAwait(false);
        return report.Status == HealthStatus.Healthy
            ? JsonReply.Healthy(new JsonObject { ["status"] = "healthy" })
            : JsonReply.Problem(StatusCodes.Status503ServiceUnavailable, "unhealthy",
                "The relay cannot reach its storage. GET /api/health/details (with a function key) and the logs (event 4001) say why.",
                new JsonObject { ["status"] = "unhealthy" });
    }

    public async Task<JsonReply> DetailsAsync(CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(r => r.Tags.Contains(RelayHealthChecks.DetailsTag), cancellationToken).ConfigureAwait(false);
        var body = new JsonObject();
        var problems = new List<string>();
        foreach (var (name, entry) in report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var healthy = entry.Status == HealthStatus.Healthy;
            var item = new JsonObject { ["healthy"] = healthy };
            if (!healthy)
            {
                var problem = Problem(entry);
                Log.HealthCheckUnhealthy(logger, name, problem ?? "unhealthy");
                if (problem is not null)
                {
                    item["problem"] = problem;
                    problems.Add($"{name}: {problem}");
                }
            }

            item["data"] = JsonSerializer.SerializeToNode(entry.Data, JsonSerializerOptions.Web);
            body[name] = item;
        }

        return report.Status == HealthStatus.Healthy
            ? JsonReply.Healthy(new JsonObject { ["status"] = "healthy", ["checks"] = body })
            : JsonReply.Problem(StatusCodes.Status503ServiceUnavailable, "unhealthy", string.Join("; ", problems), new JsonObject { ["status"] = "unhealthy", ["checks"] = body });
    }

    /// <summary>
    /// The check's own description, or for a check the service stopped (time limit) or caught throwing, a line that names
    /// only what happened: the service would otherwise describe the latter with the exception's message.
    /// </summary>
    private static string? Problem(HealthReportEntry entry) => entry.Exception switch
    {
        OperationCanceledException => string.Create(CultureInfo.InvariantCulture, $"no answer within {RelayHealthChecks.Timeout.TotalSeconds:0} s"),
        { } thrown => $"the check failed ({thrown.GetType().Name})",
        null => entry.Description,
    };
}
