using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace BrazeFunctions.IntegrationTests.Delivery;

/// <summary>Batches held for budget: cancelled callers, the order they are sent in, the short wait, and what shutdown does with them.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class HeldBatchTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Dispatch_OneCallerCancelledBeforeSending_LeavesTheBatchDeferredWithoutAnAttempt()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:02" });
        using var cancel = new CancellationTokenSource();
        var dispatcher = rig.Dispatcher;
        var leaving = rig.Envelope("{\"user_id\":\"leaves\"}", attempt: 1);

        var staying = Task.WhenAll(
            dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope("{\"user_id\":\"a\"}")), 1, default),
            dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope("{\"user_id\":\"b\"}")), 1, default));
        var cancelled = dispatcher.DispatchAsync(DispatchRig.Message(leaving), 1, cancel.Token);
        await cancel.CancelAsync();
        var left = await cancelled;
        var results = await staying;

        Assert.Equal(DispatchOutcome.Deferred, left.Outcome);
        Assert.Equal("cancelled", left.Reason);
        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var request = Assert.Single(rig.Braze.Requests);
        Assert.DoesNotContain("leaves", request.Body, StringComparison.Ordinal);
        var requeued = EnvelopeCodec.Deserialize(Assert.Single(await rig.ReceiveAllAsync(rig.Outbox)).Body);
        Assert.Equal(leaving.Id, requeued.Id);
        Assert.Equal(1, requeued.Attempt);
    }

    [Fact]
    public async Task Dispatch_BatchesWaitingForBudget_AreSentInTheOrderTheyStartedWaitingWhileTheLastOneFills()
    {
        // One request per 2-second window, two objects per request: five messages make two full batches and a third
        // that is still open while they wait. The full ones go first; the open one keeps taking newcomers while it waits
        // its turn behind them, and no request meets a 429.
        await using var rig = await DispatchRig.StartAsync(azurite, new()
        {
            ["Dispatch:BatchLinger"] = "00:00:01",
            ["Templates:MaxUsersTrackObjects"] = "2",
            ["Dispatch:ShortRateLimitWait"] = "00:00:15",
        });
        rig.Braze.SetLimit(BrazeBucket.UsersTrack, 1, TimeSpan.FromSeconds(2));
        using var held = HeldMessages(rig);
        var first = rig.DispatchTogetherAsync(Enumerable.Range(0, 5).Select(i => rig.Envelope($"{{\"user_id\":\"first-{i}\"}}")));
        await WaitUntilAsync(held, m => m.Count(x => x.Value > 0) >= 5, "5 items handed to the batcher");

        var late = rig.DispatchTogetherAsync([rig.Envelope("{\"user_id\":\"late\"}")]);

        var results = (await first).Concat(await late).ToList();

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var sent = rig.Braze.Requests.OrderBy(r => r.ArrivedAt)
            .Select(r => JsonNode.Parse(r.Body)!["attributes"]!.AsArray().Select(a => a!["external_id"]!.GetValue<string>()).ToList()).ToList();
        Assert.Equal([2, 2, 2], sent.Select(s => s.Count));
        Assert.Equal("late", sent[2][1]);
        Assert.All(rig.Braze.Requests, r => Assert.InRange(r.Status, 200, 299));
    }

    [Fact]
    public async Task Dispatch_BatchesBehindOneThatHoldsTheBudget_AreDeferredAfterTheShortWaitNotHeldLonger()
    {
        // The first request learns the rate limit and stalls for 4 s; until it answers, one request may be in flight. The
        // batches behind it wait their turn at most Dispatch:ShortRateLimitWait (1 s) and are then deferred without an
        // attempt, long before the stalled request answers.
        await using var rig = await DispatchRig.StartAsync(azurite, new()
        {
            ["Dispatch:BatchLinger"] = "00:00:00.200",
            ["Templates:MaxUsersTrackObjects"] = "1",
            ["Dispatch:ShortRateLimitWait"] = "00:00:01",
            ["Braze:RequestTimeout"] = "00:00:30",
        });
        using var waits = new MetricCollector<long>(rig.Host.Get<System.Diagnostics.Metrics.IMeterFactory>(), RelayMetrics.MeterName, "relay.pacing.waits");
        rig.Braze.Script(new SandboxAnswer.Delay(TimeSpan.FromSeconds(4)));
        var finished = new System.Collections.Concurrent.ConcurrentQueue<DispatchResult>();

        await Task.WhenAll(Enumerable.Range(0, 3).Select(async i =>
        {
            var result = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope($"{{\"user_id\":\"u-{i}\"}}")), 1, default);
            finished.Enqueue(result);
        }));

        Assert.Single(rig.Braze.Requests);
        Assert.Equal(
            [DispatchOutcome.Deferred, DispatchOutcome.Deferred, DispatchOutcome.Delivered],
            finished.Select(r => r.Outcome));
        Assert.All(finished.Take(2), r => Assert.Equal("rate_limit", r.Reason));
        Assert.All(finished.Take(2), r => Assert.True(r.Delay > TimeSpan.Zero));
        Assert.Equal(2, waits.GetMeasurementSnapshot().Count(m => (string?)m.Tags["outcome"] == "deferred"));
    }

    [Fact]
    public async Task Shutdown_WithAHeldBatch_SendsItWhenBudgetAllows()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:05" });
        using var held = HeldMessages(rig);
        var pending = rig.DispatchTogetherAsync([rig.Envelope("{\"user_id\":\"a\"}"), rig.Envelope("{\"user_id\":\"b\"}")]);
        await WaitUntilAsync(held, m => m.Sum(x => x.Value) >= 2, "2 items held by the batcher");

        await rig.Host.Get<DeliveryBatcher>().StopAsync(default);
        var results = await pending;

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        Assert.Equal(2, JsonNode.Parse(Assert.Single(rig.Braze.Requests).Body)!["attributes"]!.AsArray().Count);
    }

    [Fact]
    public async Task Shutdown_WithAHeldBatchAndNoBudget_DefersItWithoutAnAttempt()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:05" });
        var reset = DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 30);
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", reset));
        var first = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope("{\"user_id\":\"x\",\"coalesce\":false}")), 1, default);
        Assert.Equal("rate_limit", first.Reason);
        using var held = HeldMessages(rig);
        var pending = rig.DispatchTogetherAsync([rig.Envelope("{\"user_id\":\"a\"}"), rig.Envelope("{\"user_id\":\"b\"}")]);
        await WaitUntilAsync(held, m => m.Sum(x => x.Value) >= 2, "2 items held by the batcher");

        await rig.Host.Get<DeliveryBatcher>().StopAsync(default);
        var results = await pending;

        Assert.All(results, r => Assert.Equal(("shutdown", DispatchOutcome.Deferred), (r.Reason, r.Outcome)));
        Assert.Single(rig.Braze.Requests);
    }

    /// <summary>The batcher's relay.batch.held metric: +1 when a message is handed over, -1 when it has its report.</summary>
    private static MetricCollector<long> HeldMessages(DispatchRig rig) =>
        new(rig.Host.Get<IMeterFactory>(), RelayMetrics.MeterName, "relay.batch.held");

    private static Task WaitUntilAsync(MetricCollector<long> held, Func<IReadOnlyList<CollectedMeasurement<long>>, bool> reached, string what) =>
        Poll.UntilAsync(() => reached(held.GetMeasurementSnapshot()), what, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(10));
}
