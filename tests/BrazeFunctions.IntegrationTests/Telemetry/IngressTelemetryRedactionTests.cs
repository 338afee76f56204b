using System.Diagnostics;
using System.Net;
using System.Text;
using BrazeFunctions.Core;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Functions;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace BrazeFunctions.IntegrationTests.Telemetry;

/// <summary>
/// A webhook posted with <c>?code=&lt;function key&gt;</c>, the form Braze users paste, through a real ASP.NET Core pipeline
/// on Kestrel (as the worker's ASP.NET Core integration runs it) to the ingress function and a real Azurite queue, with the
/// app's telemetry wiring. ASP.NET Core's own request logs carry the full URL; the key must reach no log provider and no
/// exported log or activity. In-memory exporters stand in for the Azure Monitor exporter, which would send to the network:
/// the redaction sits in front of every exporter alike.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class IngressTelemetryRedactionTests(AzuriteFixture azurite)
{
    private const string FunctionKey = "fK3y_Zx81mQ0pL2vN7rT4wB9cD6eF5gH1jK0lM3nO8pQ-AzFuAQ==";

    [Fact]
    public async Task Ingress_RequestsWithCodeQueryParameter_KeyIsInNoLogAndNoExportedItem()
    {
        var exportedActivities = new List<Activity>();
        var exportedLogs = new List<LogRecord>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Outbox:QueueName"] = "outbox-" + Guid.NewGuid().ToString("N")[..12],
        });
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace);
        builder.Services.AddFakeLogging();
        builder.Services.AddRelayIngress();
        builder.AddRelayTelemetry();
        builder.Services.AddOpenTelemetry()
            // The app exports its own source; ASP.NET Core's request activity is added here so that the test also sees what
            // would be exported if HTTP server instrumentation were ever turned on.
            .WithTracing(tracing => tracing.AddSource(RelayActivity.SourceName, "Microsoft.AspNetCore").AddInMemoryExporter(exportedActivities))
            .WithLogging(logging => logging.AddInMemoryExporter(exportedLogs), options =>
            {
                options.IncludeScopes = true;
                options.IncludeFormattedMessage = true;
            });

        await using var app = builder.Build();
        app.MapPost("/api/hooks/{route}", async (HttpContext http, string route, WebhookIngress ingress) =>
        {
            var result = await new WebhookIngressFunction(ingress).Run(http.Request, route);
            await result.ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor()));
        });
        await app.StartAsync();
        var baseAddress = app.Urls.Single();

        using var client = new HttpClient();
        using var accepted = await client.PostAsync(new Uri($"{baseAddress}/api/hooks/attribute-from-event?code={FunctionKey}&source=braze"), Json("{\"user_id\":\"u-1\"}"));
        using var rejected = await client.PostAsync(new Uri($"{baseAddress}/api/hooks/no-such-route?CODE={FunctionKey}"), Json("{}"));
        using var unrouted = await client.GetAsync(new Uri($"{baseAddress}/api/elsewhere?a=1&code={FunctionKey}"));
        await app.StopAsync();

        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, rejected.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unrouted.StatusCode);

        var logText = TelemetryText.Of(app.Services.GetFakeLogCollector().GetSnapshot());
        var exportedLogText = TelemetryText.Of(exportedLogs);
        var activityText = TelemetryText.Of(exportedActivities);
        Assert.DoesNotContain(FunctionKey, logText, StringComparison.Ordinal);
        Assert.DoesNotContain(FunctionKey, exportedLogText, StringComparison.Ordinal);
        Assert.DoesNotContain(FunctionKey, activityText, StringComparison.Ordinal);

        // The URLs did reach the logs (ASP.NET Core's "Request starting" lines), redacted: the checks above had something to find.
        Assert.Contains("/api/hooks/attribute-from-event?code=REDACTED&source=braze", logText, StringComparison.Ordinal);
        Assert.Contains("/api/hooks/no-such-route?CODE=REDACTED", exportedLogText, StringComparison.Ordinal);
        Assert.Contains("/api/elsewhere?a=1&code=REDACTED", exportedLogText, StringComparison.Ordinal);
        Assert.Contains(exportedActivities, a => a.Source.Name == "Microsoft.AspNetCore");
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
