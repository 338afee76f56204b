using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Nodes;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Dispatch;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace BrazeFunctions.IntegrationTests.Delivery;

/// <summary>Messages dispatched together become one Braze request, under the merge rules, each ending on its own.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class CoalescingTests(AzuriteFixture azurite)
{
    // A second of linger: long enough that messages handed over together always meet, even on a slow machine.
    private static readonly Dictionary<string, string?> Coalescing = new() { ["Dispatch:BatchLinger"] = "00:00:01" };

    [Fact]
    public async Task Dispatch_MessagesTogether_OneRequestWithEveryObjectInReceiptOrder()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, Coalescing);
        using var objects = new MetricCollector<int>(rig.Host.Get<System.Diagnostics.Metrics.IMeterFactory>(), RelayMetrics.MeterName, "relay.braze.request.objects");
        var envelopes = Enumerable.Range(0, 5).Select(i => rig.Envelope($"{{\"user_id\":\"u-{i}\",\"plan\":\"p{i}\"}}") with { ReceivedAt = rig.Time.GetUtcNow().AddSeconds(-10 + i) }).ToList();

        // Handed over in reverse order: the request still lists them in the order they were received.
        var results = await rig.DispatchTogetherAsync(Enumerable.Reverse(envelopes));

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var request = Assert.Single(rig.Braze.Requests);
        var ids = JsonNode.Parse(request.Body)!["attributes"]!.AsArray().Select(a => a!["external_id"]!.GetValue<string>());
        Assert.Equal(["u-0", "u-1", "u-2", "u-3", "u-4"], ids);
        Assert.Equal(5, Assert.Single(objects.GetMeasurementSnapshot()).Value);
        Assert.Equal(5, rig.Host.Logs.GetSnapshot().Count(r => r.Id.Id == 3002));
    }

    [Fact]
    public async Task Dispatch_LingerZero_OneRequestPerMessage()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:00" });

        var results = await rig.DispatchTogetherAsync(Enumerable.Range(0, 5).Select(i => rig.Envelope($"{{\"user_id\":\"u-{i}\"}}")));

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        Assert.Equal(5, rig.Braze.Requests.Count);
        Assert.All(rig.Braze.Requests, r => Assert.Single(JsonNode.Parse(r.Body)!["attributes"]!.AsArray()));
    }

    [Fact]
    public async Task Dispatch_MoreThanTheObjectCap_SplitsIntoFullRequests()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:01", ["Templates:MaxUsersTrackObjects"] = "4" });
        using var flushes = new MetricCollector<long>(rig.Host.Get<System.Diagnostics.Metrics.IMeterFactory>(), RelayMetrics.MeterName, "relay.batch.flushes");

        var results = await rig.DispatchTogetherAsync(Enumerable.Range(0, 10).Select(i => rig.Envelope($"{{\"user_id\":\"u-{i}\"}}")));

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        Assert.Equal([4, 4, 2], rig.Braze.Requests.Select(r => JsonNode.Parse(r.Body)!["attributes"]!.AsArray().Count).Order().Reverse());
        Assert.Equal(2, flushes.GetMeasurementSnapshot().Count(m => (string?)m.Tags["reason"] == "full"));
        Assert.Equal(1, flushes.GetMeasurementSnapshot().Count(m => (string?)m.Tags["reason"] == "linger"));
    }

    [Fact]
    public async Task Dispatch_NestedValueOptOutOrOtherTopLevelField_AreSentAlone()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, Coalescing);
        var nested = JsonSerializer.Serialize(new { raw = "{\"attributes\":[{\"external_id\":\"n\",\"address\":{\"city\":\"Paris\"}}]}" });
        var flagged = JsonSerializer.Serialize(new { raw = "{\"attributes\":[{\"external_id\":\"f\",\"x\":1}],\"_update_existing_only\":false}" });

        var results = await rig.DispatchTogetherAsync(
        [
            rig.Envelope("{\"user_id\":\"a\"}"),
            rig.Envelope("{\"user_id\":\"b\"}"),
            rig.Envelope(nested),
            rig.Envelope(flagged),
            rig.Envelope("{\"user_id\":\"opt-out\",\"coalesce\":false}"),
        ]);

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var bodies = rig.Braze.Requests.Select(r => r.Body).ToList();
        Assert.Equal(4, bodies.Count);
        Assert.Single(bodies, b => b.Contains("\"a\"", StringComparison.Ordinal) && b.Contains("\"b\"", StringComparison.Ordinal));
        Assert.Single(bodies, b => b.Contains("Paris", StringComparison.Ordinal) && !b.Contains("\"a\"", StringComparison.Ordinal));
        Assert.Single(bodies, b => b.Contains("_update_existing_only", StringComparison.Ordinal) && !b.Contains("\"a\"", StringComparison.Ordinal));
        Assert.Single(bodies, b => b.Contains("opt-out", StringComparison.Ordinal) && !b.Contains("\"a\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dispatch_Triggers_MergeRecipientsOnlyWithEqualFieldsNeverBroadcastsOrRepeatedRecipients()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, Coalescing);
        static string Trigger(string body) => JsonSerializer.Serialize(new { endpoint = "/canvas/trigger/send", raw = body });

        var results = await rig.DispatchTogetherAsync(
        [
            rig.Envelope(Trigger("{\"canvas_id\":\"c1\",\"recipients\":[{\"external_user_id\":\"u1\"}]}")),
            rig.Envelope(Trigger("{\"canvas_id\":\"c1\",\"recipients\":[{\"external_user_id\":\"u2\"}]}")),
            rig.Envelope(Trigger("{\"canvas_id\":\"c1\",\"recipients\":[{\"external_user_id\":\"u1\"}]}")),
            rig.Envelope(Trigger("{\"canvas_id\":\"c2\",\"recipients\":[{\"external_user_id\":\"u3\"}]}")),
            rig.Envelope(Trigger("{\"canvas_id\":\"c1\",\"broadcast\":true}")),
        ]);

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var requests = rig.Braze.Requests.Select(r => JsonNode.Parse(r.Body)!.AsObject()).ToList();
        Assert.Equal(4, requests.Count);
        Assert.Single(requests, r => r["broadcast"] is not null && r["recipients"] is null);
        Assert.Single(requests, r => r["canvas_id"]!.GetValue<string>() == "c2");
        var c1 = requests.Where(r => r["canvas_id"]!.GetValue<string>() == "c1" && r["recipients"] is not null)
            .Select(r => r["recipients"]!.AsArray().Select(x => x!["external_user_id"]!.GetValue<string>()).Order().ToList()).OrderBy(l => l.Count).ToList();
        // u1 twice never lands in one request.
        Assert.Equal([["u1"], ["u1", "u2"]], c1);
    }

    [Fact]
    public async Task Dispatch_ByteCap_KeepsEachRequestBelowIt()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:01", ["Dispatch:MaxRequestBytes"] = "2000" });
        var padding = new string('x', 600);

        var results = await rig.DispatchTogetherAsync(Enumerable.Range(0, 6).Select(i => rig.Envelope($"{{\"user_id\":\"u-{i}\",\"plan\":\"{padding}\"}}")));

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        Assert.True(rig.Braze.Requests.Count >= 2, $"{rig.Braze.Requests.Count} requests");
        Assert.All(rig.Braze.Requests, r => Assert.True(System.Text.Encoding.UTF8.GetByteCount(r.Body) <= 2000, $"{r.Body.Length} bytes"));
        Assert.Equal(6, rig.Braze.Requests.Sum(r => JsonNode.Parse(r.Body)!["attributes"]!.AsArray().Count));
    }

    [Fact]
    public async Task Dispatch_PartialErrors_MappedToTheMessageThatContributedTheObject()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, Coalescing);
        var good = rig.Envelope("{\"raw\":\"{\\\"attributes\\\":[{\\\"external_id\\\":\\\"g1\\\",\\\"x\\\":1},{\\\"external_id\\\":\\\"g2\\\",\\\"x\\\":2}]}\"}");
        var mixed = rig.Envelope("{\"raw\":\"{\\\"attributes\\\":[{\\\"external_id\\\":\\\"m1\\\",\\\"x\\\":1},{\\\"x\\\":2}]}\"}") with { ReceivedAt = good.ReceivedAt.AddSeconds(1) };
        var allBad = rig.Envelope("{\"raw\":\"{\\\"attributes\\\":[{\\\"x\\\":3}]}\"}") with { ReceivedAt = good.ReceivedAt.AddSeconds(2) };

        var results = await rig.DispatchTogetherAsync([good, mixed, allBad]);

        Assert.Single(rig.Braze.Requests);
        Assert.Equal(DispatchOutcome.Delivered, results[0].Outcome);
        Assert.Equal(DispatchOutcome.Delivered, results[1].Outcome);
        Assert.Equal(DispatchOutcome.DeadLettered, results[2].Outcome);
        Assert.Equal("objects_refused", results[2].Reason);
        var partial = rig.Host.Logs.GetSnapshot().Where(r => r.Id.Id == 3005).Select(r => r.StructuredState!.ToDictionary(kv => kv.Key, kv => kv.Value)).ToList();
        Assert.Single(partial, p => p["MessageId"] == mixed.Id && p["InputArray"] == "attributes" && p["Index"] == "1");
        Assert.DoesNotContain(partial, p => p["MessageId"] == good.Id);
        var dead = await SingleDeadLetterAsync(rig);
        Assert.Equal(allBad.Id, dead.Envelope!.Id);
        Assert.Contains("is required", dead.Reason!.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatch_Braze400NamingObjects_DeadLettersThoseMessagesAndResendsTheRestOnce()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, Coalescing);
        rig.Braze.Rule = (_, body) => RefuseMarkedObjects(body, withErrors: true);
        var envelopes = Enumerable.Range(0, 6).Select(i => rig.Envelope(i == 2 ? "{\"user_id\":\"bad-2\"}" : $"{{\"user_id\":\"u-{i}\"}}") with { ReceivedAt = rig.Time.GetUtcNow().AddSeconds(i) }).ToList();

        var results = await rig.DispatchTogetherAsync(envelopes);

        Assert.Equal(DispatchOutcome.DeadLettered, results[2].Outcome);
        Assert.Equal("http_400", results[2].Reason);
        Assert.All(results.Where((_, i) => i != 2), r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        Assert.Equal([400, 201], rig.Braze.Requests.Select(r => r.Status));
        Assert.Equal(5, JsonNode.Parse(rig.Braze.Requests[1].Body)!["attributes"]!.AsArray().Count);
    }

    [Fact]
    public async Task Dispatch_Braze400WithoutErrors_SplitsInHalvesUntilTheBadMessageIsAlone()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:01", ["Dispatch:MaxSplitRequests"] = "8" });
        using var splits = new MetricCollector<long>(rig.Host.Get<System.Diagnostics.Metrics.IMeterFactory>(), RelayMetrics.MeterName, "relay.batch.split_requests");
        rig.Braze.Rule = (_, body) => RefuseMarkedObjects(body, withErrors: false);
        var envelopes = Enumerable.Range(0, 8).Select(i => rig.Envelope(i == 5 ? "{\"user_id\":\"bad-5\"}" : $"{{\"user_id\":\"u-{i}\"}}") with { ReceivedAt = rig.Time.GetUtcNow().AddSeconds(i) }).ToList();

        var results = await rig.DispatchTogetherAsync(envelopes);

        Assert.Equal(DispatchOutcome.DeadLettered, results[5].Outcome);
        Assert.All(results.Where((_, i) => i != 5), r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        // 8 -> 4+4 -> 2+2 -> 1+1: six extra requests, each through the pacer.
        Assert.Equal(6, splits.GetMeasurementSnapshot().Sum(m => m.Value));
        Assert.Equal(7, rig.Braze.Requests.Count);
        Assert.Equal(envelopes[5].Id, (await SingleDeadLetterAsync(rig)).Envelope!.Id);
    }

    [Fact]
    public async Task Dispatch_SplitBudgetSpent_UnresolvedMessagesAreRequeuedToBeSentAlone()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:01", ["Dispatch:MaxSplitRequests"] = "2" });
        rig.Braze.Rule = (_, body) => RefuseMarkedObjects(body, withErrors: false);
        var envelopes = Enumerable.Range(0, 8).Select(i => rig.Envelope(i == 5 ? "{\"user_id\":\"bad-5\"}" : $"{{\"user_id\":\"u-{i}\"}}") with { ReceivedAt = rig.Time.GetUtcNow().AddSeconds(i) }).ToList();

        var results = await rig.DispatchTogetherAsync(envelopes);

        // 8 -> 4 good + 4 with the bad one; that half cannot be split further within the budget.
        Assert.Equal(4, results.Count(r => r.Outcome == DispatchOutcome.Delivered));
        Assert.Equal(4, results.Count(r => r is { Outcome: DispatchOutcome.Deferred, Reason: "send_alone" }));
        var requeued = (await rig.ReceiveAllAsync(rig.Outbox)).Length;
        Assert.True(requeued <= 4, "visible too early");
        Assert.Empty(await rig.ReceiveAllAsync(rig.Poison));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var back = (await rig.ReceiveAllAsync(rig.Outbox)).Select(m => EnvelopeCodec.Deserialize(m.Body)).ToList();
        Assert.Equal(4, back.Count);
        Assert.All(back, e => Assert.True(e.SendAlone));
        Assert.All(back, e => Assert.Equal(0, e.Attempt));
    }

    [Fact]
    public async Task Dispatch_MaxInputLengthExceeded_HalvesTheWorkspaceCapAndDeliversEverything()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, Coalescing);
        rig.Braze.UsersTrackObjectCap = 4;

        var results = await rig.DispatchTogetherAsync(Enumerable.Range(0, 6).Select(i => rig.Envelope($"{{\"user_id\":\"u-{i}\"}}")));

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        Assert.Equal(400, rig.Braze.Requests[0].Status);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3019);
        Assert.Equal(3, rig.Host.Get<UsersTrackCaps>().For("default"));
        Assert.Equal(6, rig.Braze.AppliedObjects.Count);
    }

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

    [Fact]
    public async Task Dispatch_503ForTheBatch_EachMessageFollowsItsOwnSchedule()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new()
        {
            ["Dispatch:BatchLinger"] = "00:00:01",
            ["Dispatch:InPlaceRetries"] = "1",
            ["Dispatch:RetrySchedule"] = "1m,5m",
            ["Dispatch:RetryScheduleJitter"] = "0",
        });
        rig.Braze.Script(new SandboxAnswer.Status(503), new SandboxAnswer.Status(503));

        var results = await rig.DispatchTogetherAsync(
        [
            rig.Envelope("{\"user_id\":\"fresh\"}", attempt: 0),
            rig.Envelope("{\"user_id\":\"second-try\"}", attempt: 1),
            rig.Envelope("{\"user_id\":\"last-try\"}", attempt: 2),
        ]);

        Assert.Equal(2, rig.Braze.Requests.Count);
        Assert.All(rig.Braze.Requests, r => Assert.Equal(3, JsonNode.Parse(r.Body)!["attributes"]!.AsArray().Count));
        Assert.Equal((DispatchOutcome.Deferred, TimeSpan.FromMinutes(1)), (results[0].Outcome, results[0].Delay!.Value));
        Assert.Equal((DispatchOutcome.Deferred, TimeSpan.FromMinutes(5)), (results[1].Outcome, results[1].Delay!.Value));
        Assert.Equal((DispatchOutcome.DeadLettered, "retries_exhausted"), (results[2].Outcome, results[2].Reason));
    }

    [Fact]
    public async Task Dispatch_429LongerThanTheWait_EachMessageDeferredOrExpiredOnItsOwnClock()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new()
        {
            ["Dispatch:BatchLinger"] = "00:00:01",
            ["Dispatch:ShortRateLimitWait"] = "00:00:01",
            ["Dispatch:MaxMessageAge"] = "00:10:00",
        });
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", RetryAfter: "120"));
        var old = rig.Envelope("{\"user_id\":\"old\"}", attempt: 1) with { ReceivedAt = rig.Time.GetUtcNow().AddMinutes(-9) };

        var results = await rig.DispatchTogetherAsync([rig.Envelope("{\"user_id\":\"new\"}", attempt: 1), old]);

        Assert.Single(rig.Braze.Requests);
        Assert.Equal(("rate_limit", DispatchOutcome.Deferred), (results[0].Reason, results[0].Outcome));
        Assert.Equal(("expired", DispatchOutcome.DeadLettered), (results[1].Reason, results[1].Outcome));
        Assert.Equal(1, (await rig.Outbox.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    /// <summary>The batcher's relay.batch.held metric: +1 when a message is handed over, -1 when it has its report.</summary>
    private static MetricCollector<long> HeldMessages(DispatchRig rig) =>
        new(rig.Host.Get<IMeterFactory>(), RelayMetrics.MeterName, "relay.batch.held");

    private static async Task WaitUntilAsync(MetricCollector<long> held, Func<IReadOnlyList<CollectedMeasurement<long>>, bool> reached, string what)
    {
        var deadline = TimeProvider.System.GetUtcNow() + TimeSpan.FromSeconds(10);
        while (!reached(held.GetMeasurementSnapshot()))
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"never reached: {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>Refuses a /users/track request holding a "bad-" user: with Braze's errors naming it, or a bare 400.</summary>
    private static SandboxAnswer? RefuseMarkedObjects(string body, bool withErrors)
    {
        var attributes = JsonNode.Parse(body)?["attributes"] as JsonArray;
        var bad = attributes?.Select((a, i) => (a, i)).Where(x => x.a?["external_id"]?.GetValue<string>().StartsWith("bad-", StringComparison.Ordinal) == true).Select(x => x.i).ToList();
        if (bad is not { Count: > 0 })
        {
            return null;
        }

        var answer = new JsonObject { ["message"] = "Invalid request" };
        if (withErrors)
        {
            answer["errors"] = new JsonArray([.. bad.Select(i => (JsonNode)new JsonObject { ["type"] = "invalid value", ["input_array"] = "attributes", ["index"] = i })]);
        }

        return new SandboxAnswer.Status(400, answer.ToJsonString());
    }

    private static async Task<Core.Messages.PoisonEntry> SingleDeadLetterAsync(DispatchRig rig)
    {
        var raw = Assert.Single(await rig.ReceiveAllAsync(rig.Poison));
        return DeadLetterCodec.Parse(raw.Body.ToMemory());
    }
}
