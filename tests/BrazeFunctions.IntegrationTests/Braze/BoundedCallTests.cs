using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Sandbox;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Braze;

/// <summary>
/// One Braze call is bounded, whatever the other end does after its headers: a proxy that stalls, or an answer that
/// streams more than the relay will read. The status still decides, and the batch's lease, claims and counters are
/// all given back.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class BoundedCallTests(AzuriteFixture azurite)
{
    private static readonly Dictionary<string, string?> OneSecondTimeout = new() { ["Braze:RequestTimeout"] = "00:00:01" };

    [Fact]
    public async Task SendAsync_BrazeStallsAfterItsHeaders_EndsOnTheStatusAtTheTimeoutAndSettlesEverything()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, OneSecondTimeout);
        // The stall outlasts the timeout many times over: a call bounded only to its headers would wait it out.
        rig.Braze.Script(new SandboxAnswer.StallAfterHeaders(201));
        var item = rig.Item(rig.Envelope("{}"), AmbiguousOutcomePolicy.DeadLetter);
        var lease = await rig.LeaseAsync(item);

        await rig.Host.Get<BatchSender>().SendAsync([item], lease, default);

        // The client gave up on the body at its timeout: without one bound over the whole call it would have waited out the stall.
        var accepted = Assert.IsType<DeliveryReport.Accepted>(await item.Report);
        Assert.Equal(BrazeClient.BodyUnreadable, accepted.Response.Message);
        Assert.True(lease.IsSettled);
        Assert.Equal(1, rig.Braze.Counters["u-1/visits"]);
        Assert.NotNull(item.Claim);
    }

    [Fact]
    public async Task SendAsync_BrazeStreamsAHugeChunkedBody_ReadsNoMoreThanTheLimitAndEndsOnTheStatus()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, OneSecondTimeout);
        const long huge = 64L * 1024 * 1024;
        rig.Braze.Script(new SandboxAnswer.HugeChunkedBody(huge));
        var item = rig.Item(rig.Envelope("{}"), AmbiguousOutcomePolicy.DeadLetter);
        var lease = await rig.LeaseAsync(item);

        await rig.Host.Get<BatchSender>().SendAsync([item], lease, default);

        var accepted = Assert.IsType<DeliveryReport.Accepted>(await item.Report);
        Assert.True(lease.IsSettled);
        Assert.Equal(1, rig.Braze.Counters["u-1/visits"]);
    }

    [Fact]
    public async Task Dispatch_BrazeStallsAfterA500_TheCounterEndsAmbiguousAndItsClaimStays()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, OneSecondTimeout);
        rig.Braze.Script(new SandboxAnswer.StallAfterHeaders(500));
        var envelope = rig.Envelope("{\"user_id\":\"u-1\",\"counter\":\"visits\"}");

        var result = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default);
        var repeat = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default);

        Assert.Equal(("ambiguous_outcome", 500), (result.Reason, result.StatusCode));
        // The run ended in the dead-letter queue and its claim stays, marked so: a repeat of the message neither sends nor
        // dead-letters it again.
        Assert.Equal((DispatchOutcome.DeadLettered, "already_dead_lettered"), (repeat.Outcome, repeat.Reason));
        Assert.Single(rig.Braze.Requests);
    }

    [Fact]
    public async Task SendAsync_CancelledWhileClaiming_GivesTheLeaseBack()
    {
        var stall = new StallPolicy(StorageFaults.IsInsert, count: 1);
        await using var rig = await DispatchRig.StartAsync(azurite, configure: s => StorageFaults.OnTables(s, azurite.ConnectionString, stall));
        var item = rig.Item(rig.Envelope("{}"), AmbiguousOutcomePolicy.DeadLetter);
        var lease = await rig.LeaseAsync(item);
        using var shutdown = new CancellationTokenSource();

        var sending = rig.Host.Get<BatchSender>().SendAsync([item], lease, shutdown.Token);
        await Poll.UntilAsync(() => stall.Stalled > 0, "the claim's insert to reach the table service");

        await shutdown.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
        Assert.True(lease.IsSettled);
        Assert.IsType<DeliveryReport.ShutDown>(await item.Report);
        Assert.Empty(rig.Braze.Requests);
    }
}
