using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.Sandbox;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>
/// A webhook at exactly the inline limit (the largest envelope the ingress keeps on the queue) still fits once the relay
/// adds its later fields: a send-alone deferral, a dead letter with its reason, and a replay with its override.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class EnvelopeHeadroomTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task SendAlone_EnvelopeAtTheInlineLimit_IsDeferredWithTheFlagAndThenDelivered()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:00.300", ["Dispatch:MaxSplitRequests"] = "0" });
        var atLimit = AtTheLimit(rig, "{\"user_id\":\"u-1\",\"plan\":\"gold\"");
        // A merged request refused without naming anyone, and no split budget: every contributor is handed back to go alone.
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"Invalid request\"}"));

        var results = await rig.DispatchTogetherAsync([atLimit, rig.Envelope("{\"user_id\":\"u-2\",\"plan\":\"gold\"}")]);
        // The copies come back after a second's delay.
        var copies = new List<WebhookEnvelope>();
        await Poll.UntilAsync(async () =>
        {
            copies.AddRange((await rig.ReceiveAllAsync(rig.Outbox)).Select(m => EnvelopeCodec.Deserialize(m.Body)));
            return copies.Count == 2;
        }, "both send-alone copies to become visible");
        var copy = Assert.Single(copies, c => c.Id == atLimit.Id);
        var alone = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(copy), 1, default);

        Assert.Equal((DispatchOutcome.Deferred, "send_alone"), (results[0].Outcome, results[0].Reason));
        Assert.True(copy.SendAlone);
        Assert.Equal(atLimit.PayloadJson, copy.PayloadJson);
        Assert.Equal(DispatchOutcome.Delivered, alone.Outcome);
    }

    [Fact]
    public async Task Replay_EnvelopeAtTheInlineLimit_IsDeadLetteredWithItsReasonAndReplayedWithItsOverride()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var atLimit = AtTheLimit(rig, "{\"user_id\":\"u-1\",\"counter\":\"visits\"");
        rig.Braze.Script(new SandboxAnswer.ApplyThenDrop());

        var lost = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(atLimit), 1, default);
        var dead = Assert.Single(await rig.Host.Get<DeadLetterStore>().ListAsync(DeadLetterFilter.All, default));
        var replay = await rig.Host.Get<DeadLetterStore>().ReplayAsync(DeadLetterFilter.All, new ReplayOptions(IncludeAmbiguous: true), null, default);
        var replayed = EnvelopeCodec.Deserialize(Assert.Single(await rig.ReceiveAllAsync(rig.Outbox)).Body);
        var again = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(replayed), 1, default);

        Assert.Equal("ambiguous_outcome", lost.Reason);
        // Not the bare envelope: the reason fits beside it.
        Assert.Equal((PoisonKind.DeadLetter, "ambiguous_outcome"), (dead.Entry.Kind, dead.Entry.Reason?.Code));
        Assert.Empty(replay.Skipped);
        Assert.True(replayed is { OverrideClaim: true, ReplayedAt: not null, PriorRecordsAt: not null });
        Assert.Equal(DispatchOutcome.Delivered, again.Outcome);
        Assert.Equal(2, rig.Braze.Counters["u-1/visits"]);
    }

    /// <summary>An envelope whose payload (the given object start plus padding) makes it exactly the largest the ingress keeps inline.</summary>
    private static WebhookEnvelope AtTheLimit(DispatchRig rig, string payloadStart)
    {
        WebhookEnvelope With(int padding) => rig.Envelope(payloadStart + ",\"pad\":\"" + new string('x', padding) + "\"}");
        var empty = With(0);
        var padding = QueueMessageLimits.MaxBytesBeforeBase64 - EnvelopeHeadroom.Bytes - EnvelopeCodec.Serialize(empty).Length;
        var atLimit = empty with { PayloadJson = With(padding).PayloadJson };
        Assert.Equal(QueueMessageLimits.MaxBytesBeforeBase64, EnvelopeCodec.Serialize(atLimit).Length + EnvelopeHeadroom.Bytes);
        Assert.True(WebhookIngress.FitsInline(EnvelopeCodec.Serialize(atLimit).Length));
        return atLimit;
    }
}
