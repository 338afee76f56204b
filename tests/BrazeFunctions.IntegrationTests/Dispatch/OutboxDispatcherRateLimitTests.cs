using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.Time.Testing;
using static BrazeFunctions.IntegrationTests.Infrastructure.OutboxDispatcherKit;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>The dispatcher under Braze's rate limits: nothing sent before the reset, long waits re-enqueued, expired at the age limit.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class OutboxDispatcherRateLimitTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Dispatch_429WithReset_NoRequestReachesBrazeBeforeTheReset()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var reset = DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 2);
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", reset));
        var dispatcher = rig.Host.Get<OutboxDispatcher>();

        var result = await dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        var requests = rig.Braze.Requests;
        Assert.Equal([429, 201], requests.Select(r => r.Status));
        Assert.Equal(0, requests.Skip(1).Count(r => r.ArrivedAt < reset));
        Assert.Equal(0, requests.Count(r => r.InsideAnnouncedWindow));
    }

    [Fact]
    public async Task Dispatch_OtherDispatchDuringAn429Window_WaitsForTheResetInsteadOfSending()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var reset = DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 2);
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", reset));
        var dispatcher = rig.Host.Get<OutboxDispatcher>();

        var first = dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);
        // The others start once the first has had its 429 (event 3015: the family is held).
        await rig.Host.WaitForLogAsync(3015);
        var others = Enumerable.Range(0, 5).Select(_ => dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default)).ToList();
        var results = await Task.WhenAll(others.Prepend(first));

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var requests = rig.Braze.Requests;
        Assert.Equal(7, requests.Count);
        Assert.Equal(1, rig.Braze.RateLimitedAnswers);
        Assert.Equal(0, requests.Count(r => r.ArrivedAt < reset && r.Status != 429));
        Assert.Equal(0, requests.Count(r => r.InsideAnnouncedWindow));
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3009);
    }

    [Fact]
    public async Task Dispatch_LongRateLimitWait_ReEnqueuedInvisibleThenVisibleAfterTheWait()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:ShortRateLimitWait"] = "00:00:00", ["Dispatch:RateLimitJitter"] = "00:00:00" });
        var before = TimeProvider.System.GetUtcNow();
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", RetryAfter: "2"));
        var envelope = rig.Envelope(UserPayload);

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(envelope), 1, default);
        var deferredAt = TimeProvider.System.GetUtcNow();

        Assert.Equal(DispatchOutcome.Deferred, result.Outcome);
        Assert.Equal("rate_limit", result.Reason);
        // The message comes back no earlier than Retry-After (2 s) after Braze's answer, and no later than the later of
        // that and the fake's X-RateLimit-Reset (the end of its 3-second window) placed on the relay's clock through the
        // answer's whole-second Date header (up to 1 s later), plus at most a tenth to spread deferred messages.
        var answeredAt = rig.Braze.Requests[0].ArrivedAt;
        Assert.True(deferredAt + result.Delay!.Value >= answeredAt + TimeSpan.FromSeconds(2), $"back at {deferredAt + result.Delay.Value:O}, answered {answeredAt:O}");
        var windowEnd = DateTimeOffset.FromUnixTimeSeconds((before.ToUnixTimeSeconds() / 3 + 1) * 3);
        Assert.True(result.Delay.Value <= ((windowEnd - before) + TimeSpan.FromSeconds(3)) * 1.1, $"delay {result.Delay.Value}");
        Assert.Single(rig.Braze.Requests);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));

        var visible = await Poll.ForAsync(
            () => rig.ReceiveAllAsync(rig.Outbox), m => m.Length > 0, "the deferred message to become visible", TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(250));

        var back = EnvelopeCodec.Deserialize(Assert.Single(visible).Body);
        Assert.Equal(envelope.Id, back.Id);
        Assert.Equal(0, back.Attempt);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3008);
    }

    [Fact]
    public async Task Dispatch_WindowSpentWithoutA429_NextDispatchWaitsForTheReset()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.SetLimit(BrazeBucket.UsersTrack, 1, TimeSpan.FromSeconds(2));
        var dispatcher = rig.Host.Get<OutboxDispatcher>();

        var first = await dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);
        var reset = DateTimeOffset.FromUnixTimeSeconds((rig.Braze.Requests[0].ArrivedAt.ToUnixTimeSeconds() / 2 + 1) * 2);
        var second = await dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, first.Outcome);
        Assert.Equal(DispatchOutcome.Delivered, second.Outcome);
        // Braze's "X-RateLimit-Remaining: 0" closed the budget: the second request waited for the new window, no 429 needed.
        Assert.Equal([201, 201], rig.Braze.Requests.Select(r => r.Status));
        Assert.True(rig.Braze.Requests[1].ArrivedAt >= reset, $"second request at {rig.Braze.Requests[1].ArrivedAt:O}, reset {reset:O}");
    }

    [Fact]
    public async Task Dispatch_RateLimitedPastMaxMessageAge_DeadLetteredAsExpired()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:ShortRateLimitWait"] = "00:00:00", ["Dispatch:MaxMessageAge"] = "00:10:00" }, time: clock);
        var envelope = rig.Envelope(UserPayload) with { ReceivedAt = clock.GetUtcNow().AddMinutes(-9) };
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", RetryAfter: "120"));

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(envelope), 1, default);

        Assert.Equal(DispatchOutcome.DeadLettered, result.Outcome);
        var dead = await SingleDeadLetterAsync(rig);
        Assert.Equal("expired", dead.Reason!.Code);
        Assert.Equal(429, dead.Reason.Status);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));
    }
}
