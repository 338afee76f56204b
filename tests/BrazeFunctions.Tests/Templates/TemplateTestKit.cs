using System.Text.Json;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.Tests.Templates;

/// <summary>Builds templates and renderers the way the app does, with a fake clock and a capturing logger.</summary>
internal sealed class TemplateTestKit
{
    public static readonly DateTimeOffset ReceivedAt = new(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);

    public TemplateTestKit(TemplateCatalogOptions? options = null)
    {
        Options = options ?? new TemplateCatalogOptions();
        Renderer = new WebhookTemplateRenderer(Microsoft.Extensions.Options.Options.Create(Options), Microsoft.Extensions.Options.Options.Create(new BrazeRequestLimits()), new FakeTimeProvider(ReceivedAt), Logger);
    }

    public TemplateCatalogOptions Options { get; }

    public FakeLogger<WebhookTemplateRenderer> Logger { get; } = new();

    public WebhookTemplateRenderer Renderer { get; }

    public static string ShippedTemplatesDirectory => Path.Combine(AppContext.BaseDirectory, "templates");

    public static WebhookTemplate Template(string body, string endpoint = "/users/track", string? idempotencyKey = null, string route = "test-route")
    {
        var key = idempotencyKey is null ? string.Empty : $"idempotency_key: {JsonSerializer.Serialize(idempotencyKey)}\n";
        return TemplateLoader.Load(route, route + ".liquid", $"---\nendpoint: {endpoint}\ndescription: test\n{key}---\n{body}");
    }

    public RenderOutcome Render(WebhookTemplate template, string payloadJson, string? callerKey = null) =>
        Renderer.Render(template, payloadJson, new RenderFacts("msg-1", ReceivedAt, callerKey));

    public RenderOutcome Render(string body, string payloadJson, string endpoint = "/users/track") =>
        Render(Template(body, endpoint), payloadJson);

    public JsonElement RenderBody(string body, string payloadJson, string endpoint = "/users/track")
    {
        var outcome = Render(body, payloadJson, endpoint);
        var rendered = Assert.IsType<RenderOutcome.Rendered>(outcome);
        return JsonDocument.Parse(rendered.BodyJson).RootElement.Clone();
    }
}
