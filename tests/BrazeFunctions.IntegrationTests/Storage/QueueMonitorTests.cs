using System.Diagnostics.Metrics;
using Azure.Storage.Queues;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace BrazeFunctions.IntegrationTests.Storage;

/// <summary>The queue probe timer's work: <c>relay.queue.depth</c> and <c>relay.queue.oldest_age</c> from Azurite's queues.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class QueueMonitorTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Now = QueueWatchKit.Now;

    [Fact]
    public async Task ProbeAsync_MessagesOnBothQueues_RecordsDepthAndOldestAgeTaggedWithTheQueue()
    {
        var queue = "probe-" + Guid.NewGuid().ToString("N")[..12];
        await using var host = await StartAsync(azurite.ConnectionString, queue);
        var outbox = Client(queue);
        await outbox.CreateAsync();
        // The first message's clock is its replay time, not its three-day-old receipt.
        await outbox.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(Envelope(Now.AddDays(-3)) with { ReplayedAt = Now.AddSeconds(-45) })));
        await outbox.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(Envelope(Now.AddSeconds(-5)))));
        await outbox.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(Envelope(Now.AddSeconds(-1)))));
        var poison = Client(queue + "-poison");
        await poison.CreateAsync();
        await poison.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(Envelope(Now.AddHours(-1)))));
        var meters = host.Get<IMeterFactory>();
        using var depth = new MetricCollector<long>(meters, RelayMetrics.MeterName, QueueMetrics.DepthName);
        using var age = new MetricCollector<double>(meters, RelayMetrics.MeterName, QueueMetrics.OldestAgeName);

        var snapshots = await host.Get<QueueMonitor>().ProbeAsync(default);

        Assert.Equal(2, snapshots.Count);
        Assert.Equal(3, Measured(depth, queue));
        Assert.Equal(1, Measured(depth, queue + "-poison"));
        Assert.Equal(45, Measured(age, queue));
        Assert.Equal(3600, Measured(age, queue + "-poison"));
        Assert.Equal(2, host.Logs.GetSnapshot().Count(r => r.Id.Id == 4003));
    }

    [Fact]
    public async Task ProbeAsync_QueuesMissing_RecordsZeroAndCreatesNothing()
    {
        var queue = "probe-" + Guid.NewGuid().ToString("N")[..12];
        await using var host = await StartAsync(azurite.ConnectionString, queue);
        using var depth = new MetricCollector<long>(host.Get<IMeterFactory>(), RelayMetrics.MeterName, QueueMetrics.DepthName);

        var snapshots = await host.Get<QueueMonitor>().ProbeAsync(default);

        Assert.All(snapshots, s => Assert.False(s.Exists));
        Assert.Equal(0, Measured(depth, queue));
        Assert.False((await Client(queue).ExistsAsync()).Value);
        Assert.False((await Client(queue + "-poison").ExistsAsync()).Value);
    }

    [Fact]
    public async Task ProbeAsync_StorageDown_LogsEachQueueAndRecordsNothing()
    {
        await using var host = await StartAsync(AzuriteFixture.UnreachableConnectionString(FreePort.Next()), "braze-outbox");
        using var depth = new MetricCollector<long>(host.Get<IMeterFactory>(), RelayMetrics.MeterName, QueueMetrics.DepthName);

        var snapshots = await host.Get<QueueMonitor>().ProbeAsync(default);

        Assert.Empty(snapshots);
        Assert.Empty(depth.GetMeasurementSnapshot());
        Assert.Equal(["braze-outbox", "braze-outbox-poison"], host.Logs.GetSnapshot().Where(r => r.Id.Id == 4004).Select(r => r.GetStructuredStateValue("QueueName")));
    }

    private static T Measured<T>(MetricCollector<T> collector, string queue)
        where T : struct =>
        Assert.Single(collector.GetMeasurementSnapshot(), m => Equals(m.Tags["queue"], queue)).Value;

    private static Task<RelayTestHost> StartAsync(string connectionString, string queue) => QueueWatchKit.StartAsync(connectionString, queue);

    private static WebhookEnvelope Envelope(DateTimeOffset receivedAt) => QueueWatchKit.Envelope(receivedAt);

    private QueueClient Client(string queue) => QueueWatchKit.Client(azurite.ConnectionString, queue);
}
