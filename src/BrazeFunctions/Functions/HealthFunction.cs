using BrazeFunctions.Core.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace BrazeFunctions.Functions;

/// <summary>
/// <c>GET /api/health</c>, anonymous, status only, for load balancers and the availability test; and
/// <c>GET /api/health/details</c>, behind a function key, with every health check's figures (queue depth, oldest message age...).
/// </summary>
public sealed class HealthFunction(RelayHealthReport report)
{
    [Function("Health")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await report.StatusAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
    }

    [Function("HealthDetails")]
    public async Task<IActionResult> Details(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "health/details")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await report.DetailsAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
