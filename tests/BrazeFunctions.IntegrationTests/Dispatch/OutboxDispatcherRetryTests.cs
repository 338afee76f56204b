using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using static BrazeFunctions.IntegrationTests.Infrastructure.OutboxDispatcherKit;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>The dispatcher's retries against a real Azurite and the Braze sandbox: in place, then on the schedule, then dead-lettered.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class OutboxDispatcherRetryTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Dispatch_500Then201_RetriedInPlaceAndDeliveredOnce()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.Status(500, "{\"message\":\"Internal Server Error\"}"));

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        Assert.Equal([500, 201], rig.Braze.Requests.Select(r => r.Status));
        Assert.Single(rig.Braze.Requests, r => r.Status == 201);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3007);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));
        Assert.Empty(await rig.ReceiveAllAsync(rig.Poison));
    }

    [Fact]
    public async Task Dispatch_DroppedConnectionAndTimeout_AreRetriedInPlace()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Braze:RequestTimeout"] = "00:00:01" });
        rig.Braze.Script(new SandboxAnswer.Drop(), new SandboxAnswer.Delay(TimeSpan.FromSeconds(3)));

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3004 && r.Message.Contains("timeout", StringComparison.Ordinal));
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3004 && !r.Message.Contains("timeout", StringComparison.Ordinal));
        Assert.Equal([0, 0, 201], rig.Braze.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task Dispatch_InPlaceRetriesFail_DeferredOnTheScheduleWithAttemptPlusOne()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:RetrySchedule"] = "1m,5m", ["Dispatch:RetryScheduleJitter"] = "0" });
        rig.Braze.Script(new SandboxAnswer.Status(503), new SandboxAnswer.Status(503), new SandboxAnswer.Status(503));
        var envelope = rig.Envelope(UserPayload);

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(envelope), 1, default);

        Assert.Equal(DispatchOutcome.Deferred, result.Outcome);
        Assert.Equal("retry_schedule", result.Reason);
        Assert.Equal(TimeSpan.FromMinutes(1), result.Delay);
        Assert.Equal(3, rig.Braze.Requests.Count);
        // Invisible for a minute: nothing to receive now.
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));
        var properties = (await rig.Outbox.GetPropertiesAsync()).Value;
        Assert.Equal(1, properties.ApproximateMessagesCount);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Poison));
    }

    [Fact]
    public async Task Dispatch_ScheduleExhausted_DeadLetteredAsRetriesExhausted()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:RetrySchedule"] = "1m,5m" });
        rig.Braze.Script(new SandboxAnswer.Status(503, "{\"message\":\"Service Unavailable\"}"), new SandboxAnswer.Status(503, "{\"message\":\"Service Unavailable\"}"), new SandboxAnswer.Status(503, "{\"message\":\"Service Unavailable\"}"));
        var envelope = rig.Envelope(UserPayload, attempt: 2);

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(envelope), 1, default);

        Assert.Equal(DispatchOutcome.DeadLettered, result.Outcome);
        var dead = await SingleDeadLetterAsync(rig);
        Assert.Equal("retries_exhausted", dead.Reason!.Code);
        Assert.Equal(503, dead.Reason.Status);
        Assert.Equal("Service Unavailable", dead.Reason.BrazeMessage);
        Assert.Equal(2, dead.Reason.Attempt);
        Assert.Equal(envelope.Id, dead.Envelope!.Id);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));
    }

    [Fact]
    public async Task Dispatch_DequeuedAsOftenAsTheCrashLimit_DeadLetteredAsCrashLoopWithoutSending()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:MaxDequeueCount"] = "5" });

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 5, default);

        Assert.Equal(("crash_loop", DispatchOutcome.DeadLettered), (result.Reason, result.Outcome));
        Assert.Empty(rig.Braze.Requests);
        Assert.Contains("dequeued 5 times", (await SingleDeadLetterAsync(rig)).Reason!.Detail, StringComparison.Ordinal);
    }
}
