using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.IntegrationTests.FakeBraze;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>Listing and replaying the poison queue, with both shapes on it: dead letters and host-poisoned envelopes.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeadLetterStoreTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Replay_ById_DeadLetterGoesBackWithAttemptZeroAndIsDelivered()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new FakeAnswer.Status(400, "{\"message\":\"Invalid 'external_id'\"}"));
        var dispatcher = rig.Host.Get<OutboxDispatcher>();
        var envelope = rig.Envelope("{\"user_id\":\"u-7\",\"plan\":\"gold\"}", attempt: 3);
        Assert.Equal(DispatchOutcome.DeadLettered, (await dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default)).Outcome);
        var store = rig.Host.Get<DeadLetterStore>();

        var result = await store.ReplayAsync(new DeadLetterFilter(Id: envelope.Id), default);

        Assert.Equal([envelope.Id], result.Replayed);
        Assert.Empty(await store.ListAsync(DeadLetterFilter.All, default));
        var queued = Assert.Single(await rig.ReceiveAllAsync(rig.Outbox));
        var replayed = EnvelopeCodec.Deserialize(queued.Body);
        Assert.Equal(0, replayed.Attempt);
        Assert.Equal(envelope with { Attempt = 0 }, replayed);

        var delivery = await dispatcher.DispatchAsync(queued.Body.ToString(), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, delivery.Outcome);
        Assert.Equal([400, 201], rig.Braze.Requests.Select(r => r.Status));
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3013);
    }

    [Fact]
    public async Task List_BothShapesAndFilters_ReadsReasonsAndLeavesEverythingOnTheQueue()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var dispatcher = rig.Host.Get<OutboxDispatcher>();
        rig.Braze.Script(new FakeAnswer.Status(400, "{\"message\":\"bad\"}"), new FakeAnswer.Status(404, "{\"message\":\"Not Found\"}"));
        await dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope("{\"user_id\":\"a\"}")), 1, default);
        await dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope("{\"user_id\":\"b\"}", route: "trigger-canvas")), 1, default);
        // What the Functions host moves after maxDequeueCount crashes: the bare envelope.
        var crashed = rig.Envelope("{\"user_id\":\"c\"}", attempt: 1, route: "trigger-canvas");
        await rig.Poison.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(crashed)));
        await rig.Poison.SendMessageAsync("not json at all");
        var store = rig.Host.Get<DeadLetterStore>();

        var all = await store.ListAsync(DeadLetterFilter.All, default);
        var canvas = await store.ListAsync(new DeadLetterFilter(Route: "trigger-canvas"), default);
        var status400 = await store.ListAsync(new DeadLetterFilter(Status: 400), default);

        Assert.Equal(4, all.Count);
        Assert.Equal(2, all.Count(i => i.Entry.Kind == PoisonKind.DeadLetter));
        Assert.Equal(crashed.Id, Assert.Single(all, i => i.Entry.Kind == PoisonKind.HostPoison).Entry.Envelope!.Id);
        Assert.Single(all, i => i.Entry.Kind == PoisonKind.Unreadable);
        Assert.Equal(2, canvas.Count);
        Assert.Equal("attribute-from-event", Assert.Single(status400).Entry.Reason!.Route);
        // Listing is read-only: every message is visible again at once.
        Assert.Equal(4, (await rig.Poison.PeekMessagesAsync(32)).Value.Length);
    }

    [Fact]
    public async Task Replay_ByRoute_ReplaysHostPoisonAndDeadLettersButNeverUnreadableOnes()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new FakeAnswer.Status(404, "{\"message\":\"Not Found\"}"));
        await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope("{\"user_id\":\"b\"}", route: "trigger-canvas")), 1, default);
        var crashed = rig.Envelope("{\"user_id\":\"c\"}", attempt: 2, route: "trigger-canvas");
        await rig.Poison.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(crashed)));
        var other = rig.Envelope("{\"user_id\":\"d\"}");
        await rig.Poison.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(other)));
        await rig.Poison.SendMessageAsync("garbage");
        var store = rig.Host.Get<DeadLetterStore>();

        var byRoute = await store.ReplayAsync(new DeadLetterFilter(Route: "trigger-canvas"), default);
        var everything = await store.ReplayAsync(DeadLetterFilter.All, default);

        Assert.Equal(2, byRoute.Replayed.Count);
        Assert.Contains(crashed.Id, byRoute.Replayed);
        Assert.Equal([other.Id], everything.Replayed);
        Assert.Single(everything.Skipped);
        var left = Assert.Single(await store.ListAsync(DeadLetterFilter.All, default));
        Assert.Equal(PoisonKind.Unreadable, left.Entry.Kind);
        var outbox = await rig.ReceiveAllAsync(rig.Outbox);
        Assert.Equal(3, outbox.Length);
        Assert.All(outbox, m => Assert.Equal(0, EnvelopeCodec.Deserialize(m.Body).Attempt));
    }
}
