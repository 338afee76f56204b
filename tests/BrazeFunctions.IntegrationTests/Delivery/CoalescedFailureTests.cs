using System.Text.Json.Nodes;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static BrazeFunctions.IntegrationTests.Infrastructure.CoalescingKit;

namespace BrazeFunctions.IntegrationTests.Delivery;

/// <summary>A merged request that fails: each message ends on its own, by the object Braze named, by halving, or on its own schedule.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class CoalescedFailureTests(AzuriteFixture azurite)
{
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
