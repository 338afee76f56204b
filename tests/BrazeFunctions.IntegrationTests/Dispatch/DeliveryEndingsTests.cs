using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>
/// DeliveryEndings on its own: each report ends the message as documented, and the copy it writes back carries only what
/// it should (the claim it inherits, the operator's override while unspent); claims are kept exactly when the outcome is unknown.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeliveryEndingsTests(AzuriteFixture azurite)
{
    private static readonly BrazeResponse ServerError = Answer(500);

    private static readonly Dictionary<string, string?> ShortSchedule = new() { ["Dispatch:RetrySchedule"] = "1s,2s", ["Dispatch:RetryScheduleJitter"] = "0" };

    [Fact]
    public async Task EndAsync_AmbiguousUnderTheRetryPolicy_KeepsTheClaimForTheCopyWhichInheritsIt()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, ShortSchedule);
        var item = await ClaimedAsync(rig, rig.Envelope("{}"), AmbiguousOutcomePolicy.Retry);

        var result = await Endings(rig).EndAsync(item, new DeliveryReport.Failed(ServerError, Ambiguous: true));

        var copy = await SingleCopyAsync(rig);
        Assert.Equal((DispatchOutcome.Deferred, "retry_schedule"), (result.Outcome, result.Reason));
        Assert.Equal((1, item.Claim!.Token), (copy.Attempt, copy.ClaimToken));
        Assert.NotNull(await FindClaimAsync(rig, item));
    }

    [Fact]
    public async Task EndAsync_AmbiguousUnderTheDeadLetterPolicy_DeadLettersAndKeepsTheClaimMarkedDeadLettered()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var envelope = rig.Envelope("{}");
        var item = await ClaimedAsync(rig, envelope, AmbiguousOutcomePolicy.DeadLetter);

        var result = await Endings(rig).EndAsync(item, new DeliveryReport.Failed(ServerError, Ambiguous: true));
        // The run dies before the host completes the message: the same envelope comes back and ends without a second dead letter.
        var repeat = await rig.Host.Get<DeliveryClaims>().ClaimAsync(rig.Item(envelope, AmbiguousOutcomePolicy.DeadLetter), default);
        var repeatResult = await Endings(rig).EndAsync(rig.Item(envelope, AmbiguousOutcomePolicy.DeadLetter), repeat!);

        Assert.Equal((DispatchOutcome.DeadLettered, "ambiguous_outcome"), (result.Outcome, result.Reason));
        Assert.Empty(await rig.ReceiveAllAsync(rig.Outbox));
        Assert.Equal(RecordState.DeadLettered, (await FindClaimAsync(rig, item))?.State);
        Assert.Equal((DispatchOutcome.DeadLettered, "already_dead_lettered"), (repeatResult.Outcome, repeatResult.Reason));
        Assert.Single(await rig.Host.Get<DeadLetterStore>().ListAsync(DeadLetterFilter.All, default));
    }

    [Fact]
    public async Task EndAsync_NotAppliedAfterTheOverrideWasSpent_ReleasesTheClaimAndTheCopyDropsTheOverride()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, ShortSchedule);
        var replayed = rig.Envelope("{}") with { ReplayedAt = rig.Time.GetUtcNow(), OverrideClaim = true };
        var item = await ClaimedAsync(rig, replayed, AmbiguousOutcomePolicy.DeadLetter);

        await Endings(rig).EndAsync(item, new DeliveryReport.Failed(Answer(503), Ambiguous: false));

        var copy = await SingleCopyAsync(rig);
        Assert.False(copy.OverrideClaim);
        Assert.Null(copy.ClaimToken);
        Assert.Null(await FindClaimAsync(rig, item));
    }

    [Fact]
    public async Task EndAsync_RateLimitedBeforeTheReplayClaimed_KeepsTheOverrideForTheCopy()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var replayed = rig.Envelope("{}") with { ReplayedAt = rig.Time.GetUtcNow(), OverrideClaim = true };
        var item = rig.Item(replayed, AmbiguousOutcomePolicy.DeadLetter);

        var result = await Endings(rig).EndAsync(item, new DeliveryReport.RateLimited(TimeSpan.Zero, null));

        Assert.Equal("rate_limit", result.Reason);
        Assert.True((await SingleCopyAsync(rig)).OverrideClaim);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EndAsync_ShutDown_KeepsTheClaimForTheCopyOnlyWhenTheRequestLeft(bool sent)
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var item = await ClaimedAsync(rig, rig.Envelope("{}"), AmbiguousOutcomePolicy.DeadLetter);
        item.FirstSentAt = sent ? rig.Time.GetUtcNow() : null;
        var token = item.Claim!.Token;

        var result = await Endings(rig).EndAsync(item, new DeliveryReport.ShutDown());

        Assert.Equal("shutdown", result.Reason);
        Assert.Equal(sent ? token : null, (await SingleCopyAsync(rig)).ClaimToken);
        Assert.Equal(sent, await FindClaimAsync(rig, item) is not null);
    }

    [Fact]
    public async Task EndAsync_StoreUnavailableBeforeSending_ReleasesTheClaimAndWaitsForTheStore()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var item = await ClaimedAsync(rig, rig.Envelope("{}", attempt: 2), AmbiguousOutcomePolicy.DeadLetter);

        var result = await Endings(rig).EndAsync(item, new DeliveryReport.StoreUnavailable("the table answered 503"));

        Assert.Equal(("store_unavailable", TimeSpan.FromSeconds(30)), (result.Reason, result.Delay));
        Assert.Null(await FindClaimAsync(rig, item));
    }

    [Fact]
    public async Task EndAsync_Accepted_MarksTheClaimDeliveredSoThatARepeatIsADuplicate()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var envelope = rig.Envelope("{}");
        var item = await ClaimedAsync(rig, envelope, AmbiguousOutcomePolicy.DeadLetter);

        var result = await Endings(rig).EndAsync(item, new DeliveryReport.Accepted(Answer(201), [], AllObjectsRefused: false));
        var repeat = await rig.Host.Get<DeliveryClaims>().ClaimAsync(rig.Item(envelope, AmbiguousOutcomePolicy.DeadLetter), default);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        Assert.Equal(RecordState.Delivered, (await FindClaimAsync(rig, item))?.State);
        Assert.IsType<DeliveryReport.Duplicate>(repeat);
    }

    private static BrazeResponse Answer(int status) =>
        new("/users/track", status, BrazeResponse.Classify(status), RateLimitInfo.None, null, [], TimeSpan.Zero, null);

    private static DeliveryEndings Endings(DispatchRig rig) => rig.Host.Get<DeliveryEndings>();

    private static async Task<DeliveryItem> ClaimedAsync(DispatchRig rig, WebhookEnvelope envelope, AmbiguousOutcomePolicy policy)
    {
        var item = rig.Item(envelope, policy);
        Assert.Null(await rig.Host.Get<DeliveryClaims>().ClaimAsync(item, default));
        return item;
    }

    private static Task<IdempotencyRecord?> FindClaimAsync(DispatchRig rig, DeliveryItem item) =>
        rig.Host.Get<IdempotencyStore>().FindAsync(RecordKind.Delivery, item.Route, item.DedupeKey, item.Envelope.AgeClockStart, default);

    private static async Task<WebhookEnvelope> SingleCopyAsync(DispatchRig rig)
    {
        WebhookEnvelope? copy = null;
        await Poll.UntilAsync(async () =>
        {
            var messages = await rig.ReceiveAllAsync(rig.Outbox);
            copy = messages.Length == 1 ? EnvelopeCodec.Deserialize(messages[0].Body) : null;
            return copy is not null;
        }, "the copy the ending wrote back");
        return copy!;
    }
}
