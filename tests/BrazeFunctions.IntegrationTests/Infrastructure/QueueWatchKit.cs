using Azure.Storage.Queues;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>What the tests of the parts that watch the queues (health details, the queue probe) share: a host with the operations wiring on a fixed clock, and envelopes of a given age.</summary>
internal static class QueueWatchKit
{
    public static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A relay host on <paramref name="connectionString"/> with <paramref name="queue"/> as its outbox, no storage retries and the clock stopped at <see cref="Now"/>.</summary>
    public static Task<RelayTestHost> StartAsync(string connectionString, string queue) =>
        RelayTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = connectionString,
            ["Outbox:QueueName"] = queue,
            ["Outbox:StorageMaxRetries"] = "0",
        }, services =>
        {
            services.Replace(ServiceDescriptor.Singleton<TimeProvider>(new FakeTimeProvider(Now)));
            services.AddRelayOperations();
        });

    /// <summary>A client that reads and writes <paramref name="queue"/> as the relay does (Base64).</summary>
    public static QueueClient Client(string connectionString, string queue) =>
        new(connectionString, queue, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

    public static WebhookEnvelope Envelope(DateTimeOffset receivedAt) =>
        new(WebhookEnvelope.CurrentVersion, Guid.NewGuid().ToString("N"), "attribute-from-event", receivedAt, "{\"user_id\":\"u-1\"}", null, null, 0);
}
