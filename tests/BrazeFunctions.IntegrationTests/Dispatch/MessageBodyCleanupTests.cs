using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>
/// The claim-check's cleanup against Azurite's blobs, on a fake clock: a body never queued is an orphan after a day; an
/// ended body stays while a copy of its message could still come back (its age limit plus the retry schedule); a queued
/// body is never taken.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class MessageBodyCleanupTests(AzuriteFixture azurite)
{
    // Age limit one day, schedule one hour without jitter: an ended body is kept for 25 hours.
    private static readonly TimeSpan EndedRetention = TimeSpan.FromHours(25);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task RunAsync_BodyNeverQueued_IsAnOrphanOnlyAfterADay()
    {
        await using var rig = await StartAsync();
        await Bodies(rig).WriteAsync("never-queued", "{}", default);

        _clock.Advance(MessageBodyCleanup.OrphanAge - TimeSpan.FromMinutes(1));
        var early = await Cleanup(rig).RunAsync(default);
        _clock.Advance(TimeSpan.FromMinutes(2));
        var late = await Cleanup(rig).RunAsync(default);

        Assert.Equal((0, 0), (early.Orphans, early.Ended));
        Assert.Equal((1, 0), (late.Orphans, late.Ended));
    }

    [Fact]
    public async Task RunAsync_EndedBody_KeptForTheAgeLimitPlusTheScheduleThenRemoved()
    {
        await using var rig = await StartAsync();
        await Bodies(rig).WriteAsync("ended", "{}", default);
        await Bodies(rig).MarkQueuedAsync("ended", default);
        await Bodies(rig).EndAsync("ended");

        _clock.Advance(EndedRetention - TimeSpan.FromMinutes(1));
        var early = await Cleanup(rig).RunAsync(default);
        _clock.Advance(TimeSpan.FromMinutes(2));
        var late = await Cleanup(rig).RunAsync(default);

        Assert.Equal(0, early.Ended);
        Assert.Equal((0, 1), (late.Orphans, late.Ended));
    }

    [Fact]
    public async Task RunAsync_QueuedBody_IsNeverTaken()
    {
        await using var rig = await StartAsync();
        await Bodies(rig).WriteAsync("queued", "{}", default);
        await Bodies(rig).MarkQueuedAsync("queued", default);

        _clock.Advance(TimeSpan.FromDays(30));
        var result = await Cleanup(rig).RunAsync(default);

        Assert.Equal((1, 0, 0), (result.Scanned, result.Orphans, result.Ended));
    }

    private Task<DispatchRig> StartAsync() =>
        DispatchRig.StartAsync(azurite, new()
        {
            ["Outbox:BodyContainer"] = "bodies-" + Guid.NewGuid().ToString("N")[..12],
            ["Dispatch:MaxMessageAge"] = "1.00:00:00",
            ["Dispatch:RetrySchedule"] = "1h",
            ["Dispatch:RetryScheduleJitter"] = "0",
        }, time: _clock);

    private static MessageBodyStore Bodies(DispatchRig rig) => rig.Host.Get<MessageBodyStore>();

    private static IMessageBodyCleanup Cleanup(DispatchRig rig) => rig.Host.Get<IMessageBodyCleanup>();
}
