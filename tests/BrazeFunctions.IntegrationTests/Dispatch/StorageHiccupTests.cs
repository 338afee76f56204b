using System.Globalization;
using System.Text.Json.Nodes;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.Sandbox;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>
/// Issue 16, item 3: a storage hiccup on the write that ends a run (here the deferral after a 429) fails the run after a
/// few short tries instead of three 10-second ones, and the host (a pump with host.json's visibility timeout) brings the
/// message back to be delivered. What happened is asserted, never how long it took.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class StorageHiccupTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Dispatch_DeferralWriteStalls_RunFailsOnItsShortTriesAndTheMessageComesBackAndIsDelivered()
    {
        var queue = "outbox-" + Guid.NewGuid().ToString("N")[..12];
        var outbox = new OutboxOptions();
        var tries = outbox.EndingWriteRetries + 1;
        var stall = new StallPolicy(m => StorageFaults.IsSendTo(m, queue), count: tries);
        await using var rig = await DispatchRig.StartAsync(azurite, new()
        {
            ["Dispatch:ShortRateLimitWait"] = "00:00:00.500",
            ["Dispatch:RateLimitJitter"] = "00:00:00",
        }, configure: s => StorageFaults.OnQueues(s, stall, which: o => o.Retry.NetworkTimeout == outbox.EndingWriteTimeout), sharedQueue: queue);
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", RetryAfter: "1"));
        await rig.Outbox.SendMessageAsync(new BinaryData(DispatchRig.Message(rig.Envelope("{\"user_id\":\"u-1\",\"counter\":\"visits\"}"))));
        var pump = new HostQueuePump(rig.Outbox, rig.Dispatcher, HostVisibilityTimeout());
        using var stop = new CancellationTokenSource();

        var running = Task.Run(() => pump.RunAsync(stop.Token));
        await Poll.UntilAsync(() => pump.Results.Any(r => r.Result.Outcome == DispatchOutcome.Delivered), "the message to come back and be delivered", TimeSpan.FromMinutes(2));
        await stop.CancelAsync();
        await running;

        // Only the clients with the short per-try timeout stall: every try of the deferral went through one, and that client
        // gave each try up itself (not the 10-second tries of the ingress's client, three of which held a run for 30 s).
        Assert.Equal((tries, tries), (stall.Stalled, stall.CancelledByClient));
        Assert.Equal(1, pump.FailedRuns);
        var delivered = Assert.Single(pump.Results, r => r.Result.Outcome == DispatchOutcome.Delivered);
        Assert.Equal(2, delivered.DequeueCount);
        Assert.Equal([429, 201], rig.Braze.Requests.Select(r => r.Status));
        Assert.Equal(1, rig.Braze.Counters["u-1/visits"]);
    }

    private static TimeSpan HostVisibilityTimeout()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "host.json")))!;
        return TimeSpan.Parse(host["extensions"]!["queues"]!["visibilityTimeout"]!.GetValue<string>(), CultureInfo.InvariantCulture);
    }
}
