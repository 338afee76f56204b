using BrazeFunctions.Core.Ingress;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace BrazeFunctions.Functions;

/// <summary><c>POST /api/hooks/{route}</c>: the URL pasted into a Braze webhook. Answers 202 once the webhook is queued.</summary>
public sealed class WebhookIngressFunction(IWebhookIngress ingress)
{
    [Function("WebhookIngress")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "hooks/{route}")] HttpRequest request,
        string route)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await ingress.AcceptAsync(route, request, request.HttpContext.RequestAborted).ConfigureAwait(false);
    }
}
