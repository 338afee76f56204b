using System.Text;
using System.Text.Json;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Http;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Functions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// Calls the HTTP function classes the way the Functions host's ASP.NET Core integration does: an <see cref="HttpRequest"/>
/// in, the returned <see cref="IActionResult"/> executed against the response.
/// </summary>
internal static class FunctionCall
{
    public static async Task<(int Status, JsonElement Body, HttpResponse Response)> PostWebhookAsync(
        WebhookIngress ingress, string route, string body, string? contentType = "application/json", IReadOnlyDictionary<string, string>? headers = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Post;
        context.Request.Path = "/api/hooks/" + route;
        context.Request.ContentType = contentType;
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Request.Body = new MemoryStream(bytes);
        context.Request.ContentLength = bytes.Length;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[name] = value;
        }

        var result = await new WebhookIngressFunction(ingress).Run(context.Request, route);
        Assert.IsType<JsonReply>(result);
        return await ExecuteAsync(context, result);
    }

    /// <summary><c>GET /api/health</c>, or with <paramref name="details"/> <c>GET /api/health/details</c>.</summary>
    public static async Task<(int Status, JsonElement Body, HttpResponse Response)> GetHealthAsync(RelayHealthReport report, bool details = false)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = details ? "/api/health/details" : "/api/health";
        var function = new HealthFunction(report);
        var result = details ? await function.Details(context.Request) : await function.Run(context.Request);
        return await ExecuteAsync(context, result);
    }

    private static async Task<(int Status, JsonElement Body, HttpResponse Response)> ExecuteAsync(HttpContext context, IActionResult result)
    {
        context.Response.Body = new MemoryStream();
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        context.Response.Body.Position = 0;
        using var document = JsonDocument.Parse(context.Response.Body);
        return (context.Response.StatusCode, document.RootElement.Clone(), context.Response);
    }
}
