using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;

namespace BrazeFunctions.IntegrationTests.Pacing;

/// <summary>
/// Issue 17's mixed burst against Braze's buckets scaled down (/users/track 6 per 3 s, identity 4 per 6 s, messaging 2 per
/// 6 s, subscription 5 per 5 s), with resets as seconds remaining outside /users/track, lower-case headers and
/// <c>x-ratelimit-retryafter</c> on 429s, through two instances on one Azurite fed by the host-like pump.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class MixedWorkloadTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Dispatch_MixedBurstOnTwoInstances_EveryMessageDeliveredOnceAndEachBucketPacedOnItsOwn()
    {
        var settings = new Dictionary<string, string?> { ["Dispatch:BatchLinger"] = "00:00:00.100" };
        await using var first = await DispatchRig.StartAsync(azurite, settings);
        await using var second = await DispatchRig.StartAsync(azurite, settings, sharedBraze: first.Braze, sharedQueue: first.Queue);
        var braze = first.Braze;
        braze.SetLimit(BrazeBucket.UsersTrack, 6, TimeSpan.FromSeconds(3));
        braze.SetLimit(BrazeBucket.Identity, 4, TimeSpan.FromSeconds(6));
        braze.SetLimit(BrazeBucket.Messaging, 2, TimeSpan.FromSeconds(6));
        braze.SetLimit(BrazeBucket.Subscription, 5, TimeSpan.FromSeconds(5));
        var dialect = new HeaderDialect(RetryAfter: RetryAfterStyle.XRateLimitRetryAfterUnhyphenated, LowerCaseNames: true);
        braze.SetDialect(BrazeBucket.UsersTrack, dialect);
        foreach (var bucket in new[] { BrazeBucket.Identity, BrazeBucket.Messaging, BrazeBucket.Subscription })
        {
            braze.SetDialect(bucket, dialect with { Reset = ResetStyle.SecondsRemaining });
        }

        var envelopes = Burst(first);
        foreach (var envelope in envelopes)
        {
            await first.Outbox.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(envelope)));
        }

        var pumps = new[] { first, second }.Select(r => new HostQueuePump(r.Outbox, r.Dispatcher, TimeSpan.FromSeconds(30))).ToList();
        await RunUntilDeliveredAsync(pumps, envelopes.Select(e => e.Id).ToHashSet(StringComparer.Ordinal));

        var results = pumps.SelectMany(p => p.Results).ToList();
        Assert.All(envelopes, e => Assert.Equal(1, results.Count(r => r.Id == e.Id && r.Result.Outcome == DispatchOutcome.Delivered)));
        Assert.DoesNotContain(results, r => r.Result.Outcome == DispatchOutcome.DeadLettered);
        Assert.Equal(0, pumps.Sum(p => p.FailedRuns));
        Assert.Empty(await first.ReceiveAllAsync(first.Poison));
        Assert.Equal(90, braze.AppliedObjects.Select(o => o.User).Distinct().Count());
        Assert.Equal(braze.AppliedObjects.Count, braze.AppliedObjects.Select(o => o.User).Distinct().Count());
        Assert.Equal(braze.Triggered.Count, braze.Triggered.Distinct().Count());
        var byBucket = braze.Requests.GroupBy(r => r.Bucket).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal([BrazeBucket.UsersTrack, BrazeBucket.Identity, BrazeBucket.Messaging, BrazeBucket.Subscription], byBucket.Keys.Order());
        // The pacer keeps each bucket inside its own window: a 429 would take a request crossing a window boundary on a
        // loaded machine, at most one per bucket here (the real-host run measures the share against the 2 % goal).
        // Identifications and subscription changes merge like the rest: fewer requests than webhooks in those buckets.
        Assert.True(byBucket[BrazeBucket.Identity].Count(r => r.Applied) < 12, $"{byBucket[BrazeBucket.Identity].Count(r => r.Applied)} identity requests applied for 12 identifications");
        Assert.True(byBucket[BrazeBucket.Subscription].Count(r => r.Applied) < 10, $"{byBucket[BrazeBucket.Subscription].Count(r => r.Applied)} subscription requests applied for 10 changes");
        Assert.All(byBucket, b => Assert.True(b.Value.Count(r => r.Status == 429) <= 1, $"{b.Key}: {b.Value.Count(r => r.Status == 429)} of {b.Value.Count} answered 429"));
    }

    /// <summary>90 attribute updates, 12 identifications, 8 Canvas triggers (8 Canvases) and 10 subscription changes, shuffled.</summary>
    private static List<WebhookEnvelope> Burst(DispatchRig rig)
    {
        var burst = new List<WebhookEnvelope>();
        burst.AddRange(Enumerable.Range(0, 90).Select(i => rig.Envelope($"{{\"user_id\":\"t-{i}\",\"plan\":\"gold\"}}")));
        burst.AddRange(Enumerable.Range(0, 12).Select(i => rig.Envelope(
            $"{{\"endpoint\":\"/users/identify\",\"raw\":\"{{\\\"aliases_to_identify\\\":[{{\\\"external_id\\\":\\\"i-{i}\\\",\\\"user_alias\\\":{{\\\"alias_name\\\":\\\"a-{i}\\\",\\\"alias_label\\\":\\\"l\\\"}}}}]}}\"}}")));
        burst.AddRange(Enumerable.Range(0, 8).Select(i => rig.Envelope(
            $"{{\"endpoint\":\"/canvas/trigger/send\",\"raw\":\"{{\\\"canvas_id\\\":\\\"c-{i}\\\",\\\"recipients\\\":[{{\\\"external_user_id\\\":\\\"r-{i}\\\"}}]}}\"}}")));
        burst.AddRange(Enumerable.Range(0, 10).Select(i => rig.Envelope(
            $"{{\"endpoint\":\"/subscription/status/set\",\"raw\":\"{{\\\"subscription_group_id\\\":\\\"g\\\",\\\"subscription_state\\\":\\\"subscribed\\\",\\\"external_id\\\":[\\\"s-{i}\\\"]}}\"}}")));
        return [.. burst.OrderBy(e => e.Id, StringComparer.Ordinal)];
    }

    /// <summary>Runs the pumps until every envelope was delivered, within a real-time bound (not an assertion: the test checks the outcomes).</summary>
    private static async Task RunUntilDeliveredAsync(List<HostQueuePump> pumps, HashSet<string> ids)
    {
        using var stop = new CancellationTokenSource();
        var running = pumps.Select(p => Task.Run(() => p.RunAsync(stop.Token))).ToList();
        await Poll.TryUntilAsync(
            () => ids.IsSubsetOf(pumps.SelectMany(p => p.Results).Where(r => r.Result.Outcome == DispatchOutcome.Delivered).Select(r => r.Id)),
            TimeSpan.FromMinutes(3),
            TimeSpan.FromMilliseconds(500));

        await stop.CancelAsync();
        await Task.WhenAll(running);
    }
}
