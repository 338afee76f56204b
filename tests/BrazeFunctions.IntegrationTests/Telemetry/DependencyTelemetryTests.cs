using System.Diagnostics;
using System.Web;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Azure.Storage.Sas;
using BrazeFunctions.Core;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using BrazeFunctions.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;

namespace BrazeFunctions.IntegrationTests.Telemetry;

/// <summary>
/// The dependency spans the app exports: a Braze call through the relay's client against the fake Braze, queue and table
/// calls against Azurite (with the account key, and with a SAS), and an HttpClient call with a function key and a token in
/// its query. The app's tracing wiring (AddRelayTelemetry's redaction, AddRelayDependencies) runs with an in-memory
/// exporter in place of the Azure Monitor exporter, which would send to the network; the redaction sits in front of every
/// exporter alike. The capture proves the spans are there with what an operator needs, and that no secret is in them.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class DependencyTelemetryTests(AzuriteFixture azurite)
{
    private const string BrazeApiKey = "braze-rest-key-0b7d5e1c-93a4-4f62-8e1d-5c2a7b9f4d30";
    private const string IngressSecret = "ingress-shared-secret-6f1e2d3c4b5a69788796a5b4c3d2e1f0";
    private const string FunctionKey = "fK3y_Dependency81mQ0pL2vN7rT4wB9cD6eF5gH1jK0lM3nO8pQ-AzFuAQ==";
    private const string QueryToken = "query-token-2a4c6e8g0i2k4m6o8q0s2u4w6y8";
    // Azurite's well-known development account key (public; the storage connection string carries it).
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly ActivitySource TestSource = new("BrazeFunctions.Tests.Dependencies");

    [Fact]
    public async Task Dependencies_BrazeStorageAndHttpCalls_ExportedWithEndpointAndStatusAndWithoutAnySecret()
    {
        await using var braze = await BrazeSandbox.StartAsync(TimeProvider.System, BrazeApiKey);
        var exported = new List<Activity>();
        using var host = BuildHost(braze, exported);
        var tracer = host.Services.GetRequiredService<TracerProvider>();

        var answer = await host.Services.GetRequiredService<BrazeClient>().SendAsync(
            new BrazeWorkspace("default", braze.BaseAddress, BrazeApiKey, null, null), "/users/track",
            """{"attributes":[{"external_id":"u-1","plan":"gold"}]}""", CancellationToken.None);
        var sasSignature = await CallStorageAsync();
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient();
        using (await http.GetAsync(new Uri(braze.BaseAddress, $"users/export/ids?code={FunctionKey}&token={QueryToken}")))
        {
        }

        using (var failed = TestSource.StartActivity("call failed", ActivityKind.Internal))
        {
            failed?.AddException(new HttpRequestException($"POST https://relay.example/api/hooks/r?code={FunctionKey} failed; Authorization: Bearer {BrazeApiKey}; secret {IngressSecret}"));
        }

        Assert.True(tracer.ForceFlush());
        Assert.Equal(201, answer.StatusCode);

        // Braze: an HTTP client span with the endpoint, workspace and status an operator looks for first.
        var brazeSpan = Assert.Single(exported, a => a.GetTagItem(DependencyTelemetry.BrazeEndpointTag) is "/users/track");
        Assert.Equal(ActivityKind.Client, brazeSpan.Kind);
        Assert.Equal("default", brazeSpan.GetTagItem(DependencyTelemetry.BrazeWorkspaceTag));
        Assert.Equal(201, Convert.ToInt32(brazeSpan.GetTagItem("http.response.status_code"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(new Uri(braze.BaseAddress, "users/track").ToString(), brazeSpan.GetTagItem("url.full"));

        // Storage: the Azure SDK's span per client call (QueueClient.SendMessage, TableClient.AddEntity) with its HTTP
        // request under it (Azure.Core.Http, a client span with URL and status), and no second HttpClient span for it.
        var sendMessage = Assert.Single(exported, a => a.Source.Name == "Azure.Storage.Queues.QueueClient" && a.DisplayName == "QueueClient.SendMessage" && exported.Any(h => h.ParentSpanId == a.SpanId && (h.GetTagItem("url.full") as string)?.Contains("sig=", StringComparison.Ordinal) == false));
        var queueRequest = Assert.Single(exported, a => a.ParentSpanId == sendMessage.SpanId);
        Assert.Equal((DependencyTelemetry.AzureSdkHttpSource, ActivityKind.Client, "Microsoft.Storage"), (queueRequest.Source.Name, queueRequest.Kind, queueRequest.GetTagItem("az.namespace")));
        Assert.Equal(201, Convert.ToInt32(queueRequest.GetTagItem("http.response.status_code"), System.Globalization.CultureInfo.InvariantCulture));
        var addEntity = Assert.Single(exported, a => a.Source.Name == "Azure.Data.Tables.TableClient" && a.DisplayName == "TableClient.AddEntity");
        Assert.Equal(ActivityKind.Client, Assert.Single(exported, a => a.ParentSpanId == addEntity.SpanId).Kind);
        Assert.Equal(2, exported.Count(a => a.Source.Name == "System.Net.Http"));
        Assert.All(exported.Where(a => a.Source.Name == "System.Net.Http"), a => Assert.StartsWith(braze.BaseAddress.ToString(), a.GetTagItem("url.full") as string, StringComparison.Ordinal));

        // No secret anywhere: not the API key, the account key, the SAS signature, the function key, the query token or the ingress secret.
        var text = TelemetryText.Of(exported);
        foreach (var secret in new[] { BrazeApiKey, AccountKey, sasSignature, HttpUtility.UrlEncode(sasSignature), FunctionKey, QueryToken, IngressSecret })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        // ...and the places they would have been were exported, redacted: the checks above had something to find.
        // The runtime's HttpClient spans drop the query whole (?*); the processor redacts query values of any other URL tag.
        Assert.Contains(exported, a => a.GetTagItem("url.full") is string url && url.EndsWith("/users/export/ids?*", StringComparison.Ordinal));
        var exception = Assert.Single(Assert.Single(exported, a => a.Source == TestSource).Events);
        var message = exception.Tags.Single(t => t.Key == "exception.message").Value as string;
        Assert.Equal("POST https://relay.example/api/hooks/r?code=REDACTED failed; Authorization: Bearer REDACTED; secret REDACTED", message);
        Assert.Contains("sig=REDACTED", text, StringComparison.Ordinal);
    }

    private IHost BuildHost(BrazeSandbox braze, List<Activity> exported)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Braze:RestEndpoint"] = braze.BaseAddress.ToString(),
            ["Braze:ApiKey"] = BrazeApiKey,
            ["Braze:AllowLoopbackHttp"] = "true",
            ["Ingress:SharedSecret"] = IngressSecret,
        });
        builder.Services.AddRelayIngress();
        builder.Services.AddRelayTemplates();
        builder.Services.AddRelayDispatch();
        builder.AddRelayTelemetry();
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing
            .AddSource(TestSource.Name)
            .AddRelayDependencies()
            .AddInMemoryExporter(exported));
        return builder.Build();
    }

    /// <summary>A queue message and a table entity with the account key, and a queue message with a SAS; returns the SAS signature.</summary>
    private async Task<string> CallStorageAsync()
    {
        var name = "deps" + Guid.NewGuid().ToString("N")[..12];
        var queue = new QueueClient(azurite.ConnectionString, name);
        await queue.CreateAsync();
        await queue.SendMessageAsync("with the account key");
        var sas = queue.GenerateSasUri(QueueSasPermissions.Add, TimeProvider.System.GetUtcNow().AddMinutes(10));
        await new QueueClient(sas).SendMessageAsync("with a SAS");
        var table = new TableClient(azurite.ConnectionString, name);
        await table.CreateAsync();
        await table.AddEntityAsync(new TableEntity("p", "r"));
        await table.DeleteAsync();
        await queue.DeleteAsync();
        return HttpUtility.ParseQueryString(sas.Query)["sig"] ?? throw new InvalidOperationException("The SAS has no signature.");
    }
}
