using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Idempotency;

/// <summary>WebhookDeduplicator on its own, against Azurite's table service: what the ingress does with each record it meets.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class WebhookDeduplicatorTests(AzuriteFixture azurite)
{
    private const string Route = "counter-increment";

    [Fact]
    public async Task BeginAsync_InsertLandedButItsAnswerWasLost_QueuesWithItsOwnRecord()
    {
        var lost = new LostAnswerPolicy(StorageFaults.IsInsert, count: 1);
        await using var host = await StartAsync(configure: s => StorageFaults.OnTables(s, azurite.ConnectionString, lost));

        var decision = await host.Get<WebhookDeduplicator>().BeginAsync(Route, "dispatch-1:u-1", "message-1", default);

        // Without the token this was "the same key is being queued right now": a 503 to Braze for our own insert.
        Assert.Equal(1, lost.Lost);
        Assert.Equal("message-1", Assert.IsType<IngressDecision.Queue>(decision).Record?.Owner);
    }

    [Fact]
    public async Task BeginAsync_EachStateOfTheRecord_GivesItsAnswer()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var host = await StartAsync(clock);
        var deduplicator = host.Get<WebhookDeduplicator>();

        var first = Assert.IsType<IngressDecision.Queue>(await deduplicator.BeginAsync(Route, "k", "m-1", default));
        var whilePending = await deduplicator.BeginAsync(Route, "k", "m-2", default);
        clock.Advance(TimeSpan.FromMinutes(3));
        var takenOver = Assert.IsType<IngressDecision.Queue>(await deduplicator.BeginAsync(Route, "k", "m-3", default));
        await deduplicator.QueuedAsync(takenOver.Record, Route, "m-3", default);
        var afterQueued = await deduplicator.BeginAsync(Route, "k", "m-4", default);

        Assert.NotNull(first.Record);
        Assert.InRange(Assert.IsType<IngressDecision.InProgress>(whilePending).RetryAfterSeconds, 1, 120);
        Assert.Equal("m-3", takenOver.Record?.Owner);
        Assert.Equal("m-3", Assert.IsType<IngressDecision.AlreadyQueued>(afterQueued).OriginalMessageId);
    }

    [Fact]
    public async Task AbandonAsync_AfterAFailedEnqueue_LetsTheRetryQueue()
    {
        await using var host = await StartAsync();
        var deduplicator = host.Get<WebhookDeduplicator>();
        var first = Assert.IsType<IngressDecision.Queue>(await deduplicator.BeginAsync(Route, "k", "m-1", default));

        await deduplicator.AbandonAsync(first.Record, Route, "m-1");
        var retry = await deduplicator.BeginAsync(Route, "k", "m-2", default);

        Assert.Equal("m-2", Assert.IsType<IngressDecision.Queue>(retry).Record?.Owner);
    }

    [Fact]
    public async Task BeginAsync_StoreDown_QueuesWithoutARecord()
    {
        await using var host = await StartAsync(connection: azurite.ConnectionStringWithTablesDown(FreePort.Next()));

        var decision = await host.Get<WebhookDeduplicator>().BeginAsync(Route, "k", "m-1", default);

        Assert.Null(Assert.IsType<IngressDecision.Queue>(decision).Record);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 5009);
    }

    private Task<RelayTestHost> StartAsync(TimeProvider? time = null, Action<IServiceCollection>? configure = null, string? connection = null) =>
        RelayTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = connection ?? azurite.ConnectionString,
            ["Outbox:QueueName"] = "outbox-" + Guid.NewGuid().ToString("N")[..12],
        }, services =>
        {
            if (time is not null)
            {
                services.Replace(ServiceDescriptor.Singleton(time));
            }

            configure?.Invoke(services);
        });
}
