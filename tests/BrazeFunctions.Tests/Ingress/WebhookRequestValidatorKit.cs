using System.Diagnostics.Metrics;
using System.Text;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Templates;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Ingress;

/// <summary>Builds the validator over two fixed routes and the requests the validator tests send it.</summary>
internal static class WebhookRequestValidatorKit
{
    internal const string Route = "attribute-from-event";

    internal static Task<(ValidatedWebhook? Webhook, BrazeFunctions.Core.Http.JsonReply? Rejection)> ValidateAsync(
        HttpRequest request, IngressOptions? options = null, string route = Route, RelayMetrics? metrics = null)
    {
        var validator = new WebhookRequestValidator(
            new FixedRoutes("trigger-canvas", "attribute-from-event"),
            Options.Create(options ?? new IngressOptions()),
            new IngressSecretMetrics(metrics ?? NewMetrics()));
        return validator.ValidateAsync(route, request, CancellationToken.None);
    }

    internal static RelayMetrics NewMetrics() =>
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    internal static HttpRequest Request(string body, string? contentType = "application/json") => Request(Encoding.UTF8.GetBytes(body), contentType);

    internal static HttpRequest Request(byte[] body, string? contentType = "application/json")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = HttpMethods.Post;
        context.Request.ContentType = contentType;
        context.Request.Body = new MemoryStream(body);
        context.Request.ContentLength = body.Length;
        return context.Request;
    }

    internal static string Message(BrazeFunctions.Core.Http.JsonReply? reply) => reply?.Body["message"]?.GetValue<string>() ?? string.Empty;

    /// <summary>Stands in for the template catalog, which has its own tests; here only the route names matter.</summary>
    internal sealed class FixedRoutes(params string[] routes) : IRouteCatalog
    {
        public IReadOnlyList<string> Routes { get; } = [.. routes.Order(StringComparer.Ordinal)];

        public bool TryResolve(string route, out string canonical)
        {
            canonical = Routes.FirstOrDefault(r => string.Equals(r, route, StringComparison.OrdinalIgnoreCase))!;
            return canonical is not null;
        }
    }
}
