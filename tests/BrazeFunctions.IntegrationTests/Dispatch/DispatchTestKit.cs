using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using BrazeFunctions.Core;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Templates;
using BrazeFunctions.IntegrationTests.FakeBraze;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>
/// A stand-in renderer for tests whose subject is not rendering: the payload's <c>user_id</c> and <c>plan</c> become one
/// /users/track attribute object; <c>"abort"</c> and <c>"fail"</c> payload keys exercise the other outcomes.
/// </summary>
internal sealed class PassThroughRenderer : IWebhookRenderer
{
    public RenderOutcome Render(WebhookEnvelope envelope)
    {
        var payload = JsonNode.Parse(envelope.PayloadJson)!.AsObject();
        if (payload["abort"] is { } abort)
        {
            return new RenderOutcome.Aborted(abort.GetValue<string>());
        }

        if (payload["fail"] is { } fail)
        {
            return new RenderOutcome.Failed(envelope.Route, fail.GetValue<string>(), 3, 7);
        }

        if (payload["raw"] is { } raw)
        {
            return new RenderOutcome.Rendered(payload["endpoint"]?.GetValue<string>() ?? "/users/track", raw.GetValue<string>(), null);
        }

        var attribute = new JsonObject();
        if (payload["user_id"] is { } userId)
        {
            attribute["external_id"] = userId.GetValue<string>();
        }

        attribute["plan"] = payload["plan"]?.GetValue<string>() ?? "none";
        return new RenderOutcome.Rendered(payload["endpoint"]?.GetValue<string>() ?? "/users/track", new JsonObject { ["attributes"] = new JsonArray(attribute) }.ToJsonString(), null);
    }
}

/// <summary>Azurite queues, a fake Braze and the relay's dispatch wiring, for one test.</summary>
internal sealed class DispatchRig : IAsyncDisposable
{
    public const string ApiKey = "sk-relay-test-7Qm2Zx9Lp4Vb8Nc1";

    private DispatchRig(RelayTestHost host, FakeBrazeServer braze, string queue, string connectionString, TimeProvider time)
    {
        Host = host;
        Braze = braze;
        Queue = queue;
        ConnectionString = connectionString;
        Time = time;
    }

    public RelayTestHost Host { get; }

    public FakeBrazeServer Braze { get; }

    public string Queue { get; }

    public string ConnectionString { get; }

    public TimeProvider Time { get; }

    public FakeTimeProvider? FakeTime => Time as FakeTimeProvider;

    public QueueClient Outbox => new(ConnectionString, Queue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    public QueueClient Poison => new(ConnectionString, Queue + "-poison", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    public static async Task<DispatchRig> StartAsync(
        AzuriteFixture azurite,
        Dictionary<string, string?>? settings = null,
        TimeProvider? time = null,
        string? configuredKey = null,
        IWebhookRenderer? renderer = null,
        Action<IServiceCollection>? configure = null,
        bool useShippedTemplates = false)
    {
        time ??= TimeProvider.System;
        var braze = await FakeBrazeServer.StartAsync(time, ApiKey);
        var queue = "outbox-" + Guid.NewGuid().ToString("N")[..12];
        var all = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Outbox:QueueName"] = queue,
            ["Braze:RestEndpoint"] = braze.BaseAddress.ToString(),
            ["Braze:AllowLoopbackHttp"] = "true",
            ["Braze:ApiKey"] = configuredKey ?? ApiKey,
            ["Braze:RequestTimeout"] = "00:00:05",
            ["Dispatch:InPlaceRetries"] = "2",
            ["Dispatch:InPlaceRetryDelay"] = "00:00:00",
            ["Dispatch:RateLimitJitter"] = "00:00:00.200",
            // One message at a time, sent at once, unless a test is about coalescing.
            ["Dispatch:BatchLinger"] = "00:00:00",
            // Every rig has its own shared pacing record and idempotency tables, so that no test inherits another's 429 or claims.
            ["Dispatch:SharedPacingTable"] = "pacing" + queue.Replace("-", string.Empty, StringComparison.Ordinal),
            ["Idempotency:TablePrefix"] = "dedupe" + queue[^12..],
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var host = await RelayTestHost.StartAsync(all, services =>
        {
            services.Replace(ServiceDescriptor.Singleton(time));
            // The real template renderer is registered with the ingress; tests whose subject is not rendering swap it out.
            if (!useShippedTemplates)
            {
                services.Replace(renderer is null
                    ? ServiceDescriptor.Singleton<IWebhookRenderer, PassThroughRenderer>()
                    : ServiceDescriptor.Singleton(renderer));
            }

            services.AddRelayDispatch();
            configure?.Invoke(services);
        });
        await new QueueClient(azurite.ConnectionString, queue).CreateIfNotExistsAsync();
        return new DispatchRig(host, braze, queue, azurite.ConnectionString, time);
    }

    public WebhookEnvelope Envelope(string payloadJson, int attempt = 0, string route = "attribute-from-event") =>
        new(WebhookEnvelope.CurrentVersion, Guid.NewGuid().ToString("N"), route, Time.GetUtcNow(), payloadJson,
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null, attempt);

    public static string Message(WebhookEnvelope envelope) => System.Text.Encoding.UTF8.GetString(EnvelopeCodec.Serialize(envelope));

    public async Task<QueueMessage[]> ReceiveAllAsync(QueueClient client)
    {
        if (!await client.ExistsAsync())
        {
            return [];
        }

        return (await client.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1))).Value;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Braze.DisposeAsync();
    }
}
