using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Templates;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// A stand-in renderer for tests whose subject is not rendering: the payload's <c>user_id</c> and <c>plan</c> become one
/// /users/track attribute object (<c>counter</c> makes it an <c>{"inc": 1}</c> of that attribute instead);
/// <c>"abort"</c> and <c>"fail"</c> exercise the other outcomes; <c>raw</c> and <c>endpoint</c> send a body as is;
/// <c>key</c>, <c>on_ambiguous</c> and <c>coalesce</c> stand for the template's front matter.
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

        var endpoint = payload["endpoint"]?.GetValue<string>() ?? "/users/track";
        string body;
        if (payload["raw"] is { } raw)
        {
            body = raw.GetValue<string>();
        }
        else
        {
            var attribute = new JsonObject();
            if (payload["user_id"] is { } userId)
            {
                attribute["external_id"] = userId.GetValue<string>();
            }

            if (payload["counter"] is { } counter)
            {
                attribute[counter.GetValue<string>()] = new JsonObject { ["inc"] = 1 };
            }
            else
            {
                attribute["plan"] = payload["plan"]?.GetValue<string>() ?? "none";
            }

            body = new JsonObject { ["attributes"] = new JsonArray(attribute) }.ToJsonString();
        }

        return new RenderOutcome.Rendered(endpoint, body, payload["key"]?.GetValue<string>() ?? envelope.IdempotencyKey)
        {
            OnAmbiguous = payload["on_ambiguous"]?.GetValue<string>() switch
            {
                "retry" => AmbiguousOutcomePolicy.Retry,
                "dead_letter" => AmbiguousOutcomePolicy.DeadLetter,
                _ => null,
            },
            Coalesce = payload["coalesce"]?.GetValue<bool>() ?? true,
            Workspace = payload["workspace"]?.GetValue<string>() ?? WebhookTemplate.DefaultWorkspace,
        };
    }
}

/// <summary>Azurite queues, a fake Braze and the relay's dispatch wiring, for one test.</summary>
internal sealed class DispatchRig : IAsyncDisposable
{
    public const string ApiKey = "sk-relay-test-7Qm2Zx9Lp4Vb8Nc1";
    private readonly bool _ownsBraze;

    private DispatchRig(RelayTestHost host, BrazeSandbox braze, string queue, string connectionString, TimeProvider time, bool ownsBraze)
    {
        _ownsBraze = ownsBraze;
        Host = host;
        Braze = braze;
        Queue = queue;
        ConnectionString = connectionString;
        Time = time;
    }

    public RelayTestHost Host { get; }

    public BrazeSandbox Braze { get; }

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
        bool useShippedTemplates = false,
        BrazeSandbox? sharedBraze = null,
        string? sharedQueue = null)
    {
        time ??= TimeProvider.System;
        var braze = sharedBraze ?? await BrazeSandbox.StartAsync(time, ApiKey);
        // Two rigs given the same queue are two instances of one Function App: same outbox, same tables, same Braze.
        var queue = sharedQueue ?? "outbox-" + Guid.NewGuid().ToString("N")[..12];
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
        return new DispatchRig(host, braze, queue, all["AzureWebJobsStorage"]!, time, ownsBraze: sharedBraze is null);
    }

    public WebhookEnvelope Envelope(string payloadJson, int attempt = 0, string route = "attribute-from-event") =>
        new(WebhookEnvelope.CurrentVersion, Guid.NewGuid().ToString("N"), route, Time.GetUtcNow(), payloadJson,
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null, attempt);

    /// <summary>A delivery item as the dispatcher prepares one: a /users/track body (a counter by default), a key, a policy.</summary>
    public Core.Delivery.DeliveryItem Item(
        WebhookEnvelope envelope, AmbiguousOutcomePolicy policy, string? body = null, string? key = null, bool coalesce = true)
    {
        body ??= "{\"attributes\":[{\"external_id\":\"u-1\",\"visits\":{\"inc\":1}}]}";
        var shape = Core.Delivery.MergeRules.Shape("/users/track", body, coalesce);
        return new Core.Delivery.DeliveryItem(envelope, Host.Get<BrazeWorkspaces>().Get(WebhookTemplate.DefaultWorkspace), "/users/track", shape, key ?? envelope.Id, policy, coalesce);
    }

    /// <summary>A lease from the pacer for <paramref name="item"/>'s budget, as the batcher takes one before sending.</summary>
    public async Task<Core.Pacing.PaceLease> LeaseAsync(Core.Delivery.DeliveryItem item)
    {
        var lease = await Host.Get<Core.Pacing.RateLimitPacer>().AcquireAsync(Core.Delivery.BatchSender.PaceRequestOf(item), default);
        return lease.IsAcquired ? lease : throw new InvalidOperationException($"no budget for the test's request ({lease.Reason}, {lease.RetryAfter})");
    }

    public static string Message(WebhookEnvelope envelope) => System.Text.Encoding.UTF8.GetString(EnvelopeCodec.Serialize(envelope));

    public async Task<QueueMessage[]> ReceiveAllAsync(QueueClient client)
    {
        if (!await client.ExistsAsync())
        {
            return [];
        }

        return (await client.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1))).Value;
    }

    public OutboxDispatcher Dispatcher => Host.Get<OutboxDispatcher>();

    /// <summary>Dispatches every envelope at once, as one host batch does; results in the envelopes' order.</summary>
    public Task<DispatchResult[]> DispatchTogetherAsync(IEnumerable<WebhookEnvelope> envelopes, long dequeueCount = 1) =>
        Task.WhenAll(envelopes.Select(e => Dispatcher.DispatchAsync(Message(e), dequeueCount, default)));

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        if (_ownsBraze)
        {
            await Braze.DisposeAsync();
        }
    }
}
