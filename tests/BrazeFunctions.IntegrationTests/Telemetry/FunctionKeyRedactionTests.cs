using System.Diagnostics;
using BrazeFunctions.Core;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Telemetry;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace BrazeFunctions.IntegrationTests.Telemetry;

/// <summary>The redaction of the <c>code</c> query parameter (the function key) itself, and its place in the app's wiring.</summary>
public sealed class FunctionKeyRedactionTests
{
    private const string Key = "k3Y_9f1c2b7e0d4a4f3c8b6e1a2d5c7e9f0b-AzFuAQ==";

    [Theory]
    [InlineData("https://relay.example/api/hooks/r?code=" + Key, "https://relay.example/api/hooks/r?code=REDACTED")]
    [InlineData("/api/hooks/r?x=1&code=" + Key + "&y=2", "/api/hooks/r?x=1&code=REDACTED&y=2")]
    [InlineData("code=" + Key, "code=REDACTED")]
    [InlineData("?CODE=" + Key + "#frag", "?CODE=REDACTED#frag")]
    [InlineData("Request starting HTTP/1.1 POST http://h/api/hooks/r?code=" + Key + " - application/json 20", "Request starting HTTP/1.1 POST http://h/api/hooks/r?code=REDACTED - application/json 20")]
    [InlineData("a?code=" + Key + "&code=" + Key, "a?code=REDACTED&code=REDACTED")]
    public void Redact_UrlWithCodeParameter_ReplacesOnlyTheValue(string text, string expected)
    {
        Assert.True(FunctionKeyRedaction.ContainsKey(text));
        Assert.Equal(expected, FunctionKeyRedaction.Redact(text));
        Assert.False(FunctionKeyRedaction.ContainsKey(expected));
    }

    [Theory]
    [InlineData("https://relay.example/api/hooks/r?zipcode=12345")]
    [InlineData("Braze answered with status code=401")]
    [InlineData("/api/hooks/r?code=")]
    [InlineData("/api/hooks/r?code=&x=1")]
    [InlineData("no url at all")]
    public void Redact_NoCodeParameterValue_LeavesTheTextAlone(string text)
    {
        Assert.False(FunctionKeyRedaction.ContainsKey(text));
        Assert.Same(text, FunctionKeyRedaction.Redact(text));
    }

    [Fact]
    public void AddRelayTelemetry_FunctionsWorkerWiring_EveryLoggerRedactsTheKey()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.ConfigureFunctionsWebApplication();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" });
        builder.Services.AddFakeLogging();
        builder.Services.AddRelayIngress();
        builder.AddRelayTelemetry();
        using var host = builder.Build();

        var factory = host.Services.GetRequiredService<ILoggerFactory>();
        Assert.IsType<FunctionKeyRedactingLoggerFactory>(factory);
        factory.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics")
            .LogInformation("Request starting {Protocol} {Method} {Url}", "HTTP/1.1", "POST", "http://127.0.0.1/api/hooks/r?code=" + Key);
        host.Services.GetRequiredService<ILogger<FunctionKeyRedactionTests>>()
            .LogWarning(new HttpRequestException("POST http://127.0.0.1/api/hooks/r?code=" + Key + " failed"), "Call failed");
        using (factory.CreateLogger("Scoped").BeginScope("Url: /api/hooks/r?code=" + Key))
        {
            factory.CreateLogger("Scoped").LogInformation("inside the scope");
        }

        var records = host.Services.GetFakeLogCollector().GetSnapshot();
        Assert.Contains(records, r => r.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && r.Message.EndsWith("/api/hooks/r?code=REDACTED", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Exception is RedactedException e && e.Message.Contains("HttpRequestException: POST http://127.0.0.1/api/hooks/r?code=REDACTED failed", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Category == "Scoped" && r.Scopes.Any(s => s?.ToString() == "Url: /api/hooks/r?code=REDACTED"));
        Assert.DoesNotContain(Key, TelemetryText.Of(records), StringComparison.Ordinal);
    }

    [Fact]
    public void AddRelayTelemetry_ActivityEvents_ExceptionAndEventTagsAreRedactedBeforeExport()
    {
        using var source = new ActivitySource("BrazeFunctions.Tests.EventRedaction");
        var exported = new List<Activity>();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.AddRelayTelemetry();
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(source.Name).AddInMemoryExporter(exported));
        using var host = builder.Build();
        _ = host.Services.GetRequiredService<TracerProvider>();

        using (var activity = source.StartActivity("dispatch", ActivityKind.Internal))
        {
            Assert.NotNull(activity);
            activity.AddException(new HttpRequestException("POST https://relay.example/api/hooks/r?code=" + Key + " failed"));
            activity.AddEvent(new ActivityEvent("retry", tags: new ActivityTagsCollection
            {
                ["url"] = "https://st.queue.core.windows.net/q/messages?sv=2024&sig=" + Key,
                ["attempt"] = 2,
            }));
        }

        var item = Assert.Single(exported);
        Assert.DoesNotContain(Key, TelemetryText.Of(exported), StringComparison.Ordinal);
        var exception = Assert.Single(item.Events, e => e.Name == "exception");
        Assert.Equal("POST https://relay.example/api/hooks/r?code=REDACTED failed", exception.Tags.Single(t => t.Key == "exception.message").Value);
        Assert.Contains("?code=REDACTED failed", exception.Tags.Single(t => t.Key == "exception.stacktrace").Value as string, StringComparison.Ordinal);
        Assert.Equal("System.Net.Http.HttpRequestException", exception.Tags.Single(t => t.Key == "exception.type").Value);
        var retry = Assert.Single(item.Events, e => e.Name == "retry");
        Assert.Equal("https://st.queue.core.windows.net/q/messages?sv=2024&sig=REDACTED", retry.Tags.Single(t => t.Key == "url").Value);
        Assert.Equal(2, retry.Tags.Single(t => t.Key == "attempt").Value);
        Assert.True(item.Recorded);
    }

    [Fact]
    public void AddRelayTelemetry_AnyTracerProvider_RedactsUrlTagsBeforeExport()
    {
        using var source = new ActivitySource("BrazeFunctions.Tests.Redaction");
        var exported = new List<Activity>();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.AddRelayTelemetry();
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(source.Name).AddInMemoryExporter(exported));
        using var host = builder.Build();
        _ = host.Services.GetRequiredService<TracerProvider>();

        using (var activity = source.StartActivity("POST /api/hooks/r?code=" + Key, ActivityKind.Server))
        {
            Assert.NotNull(activity);
            activity.SetTag("url.full", "https://relay.example/api/hooks/r?code=" + Key);
            activity.SetTag("url.query", "code=" + Key + "&a=1");
            activity.SetTag("http.url", "https://relay.example/api/hooks/r?code=" + Key);
            activity.SetTag("http.target", "/api/hooks/r?code=" + Key);
            activity.SetTag("url.path", "/api/hooks/r");
            activity.SetTag("http.response.status_code", 202);
            activity.SetStatus(ActivityStatusCode.Error, "failed calling ?code=" + Key);
        }

        var item = Assert.Single(exported);
        Assert.DoesNotContain(Key, TelemetryText.Of(exported), StringComparison.Ordinal);
        Assert.Equal("https://relay.example/api/hooks/r?code=REDACTED", item.GetTagItem("url.full"));
        // Every query value of a URL tag goes, not only the key's: a query may carry a token of any name.
        Assert.Equal("code=REDACTED&a=REDACTED", item.GetTagItem("url.query"));
        Assert.Equal("/api/hooks/r?code=REDACTED", item.GetTagItem("http.target"));
        Assert.Equal("/api/hooks/r", item.GetTagItem("url.path"));
        Assert.Equal(202, item.GetTagItem("http.response.status_code"));
        Assert.Equal("POST /api/hooks/r?code=REDACTED", item.DisplayName);
    }
}
