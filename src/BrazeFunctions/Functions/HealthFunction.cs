using BrazeFunctions.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace BrazeFunctions.Functions;

/// <summary><c>GET /api/health</c>, anonymous, for load balancers and availability tests.</summary>
public sealed class HealthFunction(QueueHealthProbe probe)
{
    [Function("Health")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await probe.CheckAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
