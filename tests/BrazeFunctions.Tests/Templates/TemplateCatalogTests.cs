using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Templates;

public sealed class TemplateCatalogTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("templates-").FullName;

    internal static TemplateCatalog LoadShipped() =>
        new(Options.Create(new TemplateCatalogOptions { Directory = TemplateTestKit.ShippedTemplatesDirectory }), NullLogger<TemplateCatalog>.Instance);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Constructor_ShippedTemplates_LoadsEveryRoute()
    {
        var catalog = LoadShipped();

        Assert.Equal(
            ["attribute-from-event", "attribute-from-event-anonymous", "counter-increment", "counter-increment-liquid", "identify-user", "subscription-status", "trigger-campaign", "trigger-canvas"],
            catalog.Routes);
        Assert.True(catalog.TryResolve("TRIGGER-CANVAS", out var canonical));
        Assert.Equal("trigger-canvas", canonical);
        Assert.False(catalog.TryResolve("unknown", out _));
    }

    [Fact]
    public void Constructor_BrokenTemplates_ReportsEveryFileWithLineAndColumnAndLogsThem()
    {
        Write("good", "---\nendpoint: /users/track\ndescription: d\n---\n{}");
        Write("bad-tag", "---\nendpoint: /users/track\ndescription: d\n---\n{\n  {% nope %}\n}");
        Write("bad-endpoint", "---\nendpoint: /users/delete\ndescription: d\n---\n{}");
        var logger = new FakeLogger<TemplateCatalog>();

        var ex = Assert.Throws<TemplateCatalogException>(() => new TemplateCatalog(Options.Create(new TemplateCatalogOptions { Directory = _directory }), logger));

        Assert.Equal(2, ex.Errors.Count);
        Assert.Contains(ex.Errors, e => e.File.EndsWith("bad-tag.liquid", StringComparison.Ordinal) && e.Line == 6 && e.Column == 10);
        Assert.Contains(ex.Errors, e => e.File.EndsWith("bad-endpoint.liquid", StringComparison.Ordinal) && e.Line == 2 && e.Column == 11);
        Assert.Contains("bad-tag.liquid(6,10): Unknown tag 'nope'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, logger.Collector.GetSnapshot().Count(r => r.Id.Id == 2002 && r.Level == LogLevel.Critical));
    }

    [Fact]
    public void Constructor_MissingDirectory_NamesTheSetting()
    {
        var missing = Path.Combine(_directory, "nope");

        var ex = Assert.Throws<TemplateCatalogException>(() => new TemplateCatalog(Options.Create(new TemplateCatalogOptions { Directory = missing }), NullLogger<TemplateCatalog>.Instance));

        Assert.Contains("Templates__Directory", ex.Message, StringComparison.Ordinal);
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_EmptyDirectory_Fails()
    {
        var ex = Assert.Throws<TemplateCatalogException>(() => new TemplateCatalog(Options.Create(new TemplateCatalogOptions { Directory = _directory }), NullLogger<TemplateCatalog>.Instance));

        Assert.Contains("has no *.liquid templates", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_BrokenTemplate_FailsStartUpWithFileLineAndColumn()
    {
        Write("broken", "---\nendpoint: /users/track\ndescription: d\n---\n{\"a\": \"{{ ${user_id} | }}\"}");
        using var host = BuildHost(ingressFirst: false);

        var ex = await Assert.ThrowsAsync<TemplateCatalogException>(() => host.StartAsync(CancellationToken.None));

        Assert.Contains("broken.liquid(5,23)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AddRelayTemplates_InEitherOrder_MakesTheCatalogTheRouteListAndRegistersTheRenderer(bool ingressFirst)
    {
        Write("only-route", "---\nendpoint: /users/track\ndescription: d\n---\n{\"attributes\":[{\"external_id\":\"{{ id }}\"}]}");
        using var host = BuildHost(ingressFirst);
        await host.StartAsync(CancellationToken.None);

        var routes = host.Services.GetRequiredService<IRouteCatalog>();
        var renderer = host.Services.GetRequiredService<IWebhookRenderer>();

        Assert.Equal(["only-route"], routes.Routes);
        var outcome = renderer.Render(new WebhookEnvelope(1, "m", "only-route", TemplateTestKit.ReceivedAt, """{"id":"u"}""", null, null, 0));
        Assert.Equal("""{"attributes":[{"external_id":"u"}]}""", Assert.IsType<RenderOutcome.Rendered>(outcome).BodyJson);
        await host.StopAsync(CancellationToken.None);
    }

    private IHost BuildHost(bool ingressFirst)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Templates:Directory"] = _directory,
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        });
        if (ingressFirst)
        {
            builder.Services.AddRelayIngress();
            builder.Services.AddRelayTemplates();
        }
        else
        {
            builder.Services.AddRelayTemplates();
            builder.Services.AddRelayIngress();
        }

        return builder.Build();
    }

    private void Write(string route, string text) => File.WriteAllText(Path.Combine(_directory, route + ".liquid"), text);
}
