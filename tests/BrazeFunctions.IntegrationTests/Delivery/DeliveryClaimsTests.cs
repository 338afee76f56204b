using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Delivery;

/// <summary>
/// DeliveryClaims on its own, against Azurite's table service: which records in the way it may take, which it must
/// respect, and how it keeps its own claim fresh and conditional.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeliveryClaimsTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ClaimAsync_InsertLandedButItsAnswerWasLost_IsThisCopysOwnClaim()
    {
        var lost = new LostAnswerPolicy(StorageFaults.IsInsert, count: 1);
        await using var rig = await DispatchRig.StartAsync(azurite, configure: s => StorageFaults.OnTables(s, azurite.ConnectionString, lost));
        var item = rig.Item(rig.Envelope("{}"), AmbiguousOutcomePolicy.DeadLetter);

        var report = await Claims(rig).ClaimAsync(item, default);

        // The SDK retried the insert that had landed and met our own record: ours, not "an earlier run's".
        Assert.Equal(1, lost.Lost);
        Assert.Null(report);
        Assert.NotNull(item.Claim);
    }

    [Fact]
    public async Task ClaimAsync_YoungClaimOfAnotherCopyOfThisEnvelope_IsClaimedElsewhereEvenUnderTheRetryPolicy()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var envelope = rig.Envelope("{}");
        await Store(rig).InsertAsync(RecordKind.Delivery, envelope.Route, envelope.Id, envelope.ReceivedAt, envelope.Id, "another-copy", RecordState.Sending, default);
        var item = rig.Item(envelope, AmbiguousOutcomePolicy.Retry);

        var report = await Claims(rig).ClaimAsync(item, default);

        Assert.IsType<DeliveryReport.ClaimedElsewhere>(report);
        Assert.Null(item.Claim);
    }

    [Theory]
    [InlineData(AmbiguousOutcomePolicy.Retry, true)]
    [InlineData(AmbiguousOutcomePolicy.DeadLetter, false)]
    public async Task ClaimAsync_ClaimThisCopyInherits_FollowsThePolicy(AmbiguousOutcomePolicy policy, bool takenOver)
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var envelope = rig.Envelope("{}");
        var (earlier, _) = await Store(rig).InsertAsync(RecordKind.Delivery, envelope.Route, envelope.Id, envelope.ReceivedAt, envelope.Id, "run-1", RecordState.Sending, default);
        var item = rig.Item(envelope with { ClaimToken = earlier.Token }, policy);

        var report = await Claims(rig).ClaimAsync(item, default);

        Assert.Equal(takenOver, report is null);
        Assert.Equal(takenOver, item.Claim is { } claim && claim.Token != earlier.Token);
        if (!takenOver)
        {
            Assert.True(Assert.IsType<DeliveryReport.OutcomeUnknown>(report).OwnClaim);
        }
    }

    [Fact]
    public async Task ClaimAsync_OperatorReplay_TakesAClaimMadeBeforeTheReplayOnce()
    {
        var clock = new FakeTimeProvider(Start);
        await using var rig = await DispatchRig.StartAsync(azurite, time: clock);
        var envelope = rig.Envelope("{}");
        await Store(rig).InsertAsync(RecordKind.Delivery, envelope.Route, envelope.Id, envelope.ReceivedAt, envelope.Id, "lost-answer", RecordState.Sending, default);
        clock.Advance(TimeSpan.FromMinutes(2));
        var replayed = envelope with { ReplayedAt = clock.GetUtcNow(), PriorRecordsAt = envelope.ReceivedAt, OverrideClaim = true };
        clock.Advance(TimeSpan.FromSeconds(1));

        var first = rig.Item(replayed, AmbiguousOutcomePolicy.DeadLetter);
        var firstReport = await Claims(rig).ClaimAsync(first, default);
        // A second live copy of the same replay (a redelivery beside its deferral copy) meets the first one's fresh claim.
        var twin = rig.Item(replayed, AmbiguousOutcomePolicy.DeadLetter);
        var twinReport = await Claims(rig).ClaimAsync(twin, default);
        // Long after, a copy still carrying the flag finds a claim made after the replay: the override is spent.
        clock.Advance(TimeSpan.FromMinutes(20));
        var late = rig.Item(replayed, AmbiguousOutcomePolicy.DeadLetter);
        var lateReport = await Claims(rig).ClaimAsync(late, default);

        Assert.Null(firstReport);
        Assert.True(first.HasClaimed);
        Assert.IsType<DeliveryReport.ClaimedElsewhere>(twinReport);
        Assert.IsType<DeliveryReport.OutcomeUnknown>(lateReport);
    }

    [Fact]
    public async Task ClaimAsync_ReplayOnALaterDay_ClaimsInTheReplayDaysTableAndFindsATwinDeliveredBefore()
    {
        var clock = new FakeTimeProvider(Start);
        await using var rig = await DispatchRig.StartAsync(azurite, time: clock);
        var store = Store(rig);
        var envelope = rig.Envelope("{}");
        var (twin, _) = await store.InsertAsync(RecordKind.Delivery, envelope.Route, "dispatch-1:u-1", envelope.ReceivedAt, "twin", "twin-run", RecordState.Sending, default);
        await store.ReplaceAsync(twin, RecordState.Delivered, "twin", "twin-run", default);
        clock.Advance(TimeSpan.FromDays(2));
        var replayed = envelope with { ReplayedAt = clock.GetUtcNow(), PriorRecordsAt = envelope.ReceivedAt };
        var fresh = envelope with { Id = "another-message", ReplayedAt = clock.GetUtcNow(), PriorRecordsAt = envelope.ReceivedAt };

        var duplicate = await Claims(rig).ClaimAsync(rig.Item(replayed, AmbiguousOutcomePolicy.Retry, key: "dispatch-1:u-1"), default);
        var other = rig.Item(fresh, AmbiguousOutcomePolicy.Retry, key: "dispatch-2:u-1");
        var claimed = await Claims(rig).ClaimAsync(other, default);

        Assert.IsType<DeliveryReport.Duplicate>(duplicate);
        // The replay's claim was released again, and new claims go to the table of the replay day, not the receipt day.
        Assert.Null(await store.FindAsync(RecordKind.Delivery, envelope.Route, "dispatch-1:u-1", clock.GetUtcNow(), default));
        Assert.Null(claimed);
        Assert.Equal(store.TableName(clock.GetUtcNow().UtcDateTime.Date), other.Claim!.Table);
    }

    [Fact]
    public async Task ClaimAsync_Resend_RefreshesTheClaimAndStopsOnceAnotherCopyTookIt()
    {
        var clock = new FakeTimeProvider(Start);
        await using var rig = await DispatchRig.StartAsync(azurite, time: clock);
        var item = rig.Item(rig.Envelope("{}"), AmbiguousOutcomePolicy.Retry);
        var claims = Claims(rig);
        await claims.ClaimAsync(item, default);
        var first = item.Claim!;

        clock.Advance(TimeSpan.FromMinutes(5));
        var refreshed = await claims.ClaimAsync(item, default);
        var afterRefresh = item.Claim!;
        await Store(rig).ReplaceAsync(afterRefresh, RecordState.Sending, "someone-else", "their-token", default);
        var lost = await claims.ClaimAsync(item, default);

        Assert.Null(refreshed);
        Assert.Equal(clock.GetUtcNow(), afterRefresh.Since);
        Assert.Equal(first.Token, afterRefresh.Token);
        Assert.IsType<DeliveryReport.ClaimedElsewhere>(lost);
        Assert.Null(item.Claim);
    }

    [Fact]
    public async Task ReleaseAsync_InsertAnsweredWithoutAnETag_StillDeletesOnlyAnUnchangedClaim()
    {
        await using var rig = await DispatchRig.StartAsync(azurite,
            configure: s => StorageFaults.OnTables(s, azurite.ConnectionString, new StripETagPolicy(StorageFaults.IsInsert)));
        var envelope = rig.Envelope("{}");
        var item = rig.Item(envelope, AmbiguousOutcomePolicy.Retry);
        var claims = Claims(rig);
        var store = Store(rig);
        Assert.Null(await claims.ClaimAsync(item, default));
        Assert.False(item.SentUnclaimed);
        // Another copy takes the claim over meanwhile (it read the record with its real ETag).
        var current = await store.FindAsync(RecordKind.Delivery, envelope.Route, envelope.Id, envelope.ReceivedAt, default);
        await store.ReplaceAsync(current!, RecordState.Sending, "another-copy", "their-token", default);

        await claims.ReleaseAsync(item, default);

        var left = await store.FindAsync(RecordKind.Delivery, envelope.Route, envelope.Id, envelope.ReceivedAt, default);
        Assert.Equal("another-copy", left?.Owner);
    }

    [Fact]
    public async Task MarkDeadLetteredAsync_ThenARepeatOfTheSameMessage_EndsAsAlreadyDeadLetteredWithoutWaitingOutTheLease()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var envelope = rig.Envelope("{}");
        var claims = Claims(rig);
        var first = rig.Item(envelope, AmbiguousOutcomePolicy.DeadLetter);
        Assert.Null(await claims.ClaimAsync(first, default));

        await claims.MarkDeadLetteredAsync(first, default);
        // The run died before completing its message: the host hands the very same envelope over again, seconds later.
        var repeat = await claims.ClaimAsync(rig.Item(envelope, AmbiguousOutcomePolicy.DeadLetter), default);

        var record = await Store(rig).FindAsync(RecordKind.Delivery, envelope.Route, envelope.Id, envelope.ReceivedAt, default);
        Assert.Equal(RecordState.DeadLettered, record?.State);
        Assert.IsType<DeliveryReport.AlreadyDeadLettered>(repeat);
    }

    [Fact]
    public async Task ClaimAsync_YoungDeadLetteredClaimOfAnotherMessage_FollowsThePolicyAtOnce()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var envelope = rig.Envelope("{}");
        await Store(rig).InsertAsync(RecordKind.Delivery, envelope.Route, "dispatch-1:u-1", envelope.ReceivedAt, "first-message", "run-1", RecordState.DeadLettered, default);
        var twin = envelope with { Id = "second-message" };

        var deadLetter = await Claims(rig).ClaimAsync(rig.Item(twin, AmbiguousOutcomePolicy.DeadLetter, key: "dispatch-1:u-1"), default);
        var retry = rig.Item(twin, AmbiguousOutcomePolicy.Retry, key: "dispatch-1:u-1");
        var retryReport = await Claims(rig).ClaimAsync(retry, default);

        // Nobody sends a dead-lettered claim: no claim_conflict wait, the ambiguous policy decides now.
        Assert.False(Assert.IsType<DeliveryReport.OutcomeUnknown>(deadLetter).OwnClaim);
        Assert.Null(retryReport);
        Assert.Equal("second-message", retry.Claim?.Owner);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ClaimAsync_ReplayOfADeadLetteredMessage_IsANewLifeNotARepeat(bool overrideClaim)
    {
        var clock = new FakeTimeProvider(Start);
        await using var rig = await DispatchRig.StartAsync(azurite, time: clock);
        var envelope = rig.Envelope("{}");
        await Store(rig).InsertAsync(RecordKind.Delivery, envelope.Route, envelope.Id, envelope.ReceivedAt, envelope.Id, "run-1", RecordState.DeadLettered, default);
        clock.Advance(TimeSpan.FromMinutes(1));
        var replayed = envelope with { ReplayedAt = clock.GetUtcNow(), PriorRecordsAt = envelope.ReceivedAt, OverrideClaim = overrideClaim };

        var report = await Claims(rig).ClaimAsync(rig.Item(replayed, AmbiguousOutcomePolicy.DeadLetter), default);

        // --include-ambiguous takes the claim over; a replay without it is dead-lettered again with the unknown outcome, never dropped.
        if (overrideClaim)
        {
            Assert.Null(report);
        }
        else
        {
            Assert.True(Assert.IsType<DeliveryReport.OutcomeUnknown>(report).OwnClaim);
        }
    }

    private static DeliveryClaims Claims(DispatchRig rig) => rig.Host.Get<DeliveryClaims>();

    private static IdempotencyStore Store(DispatchRig rig) => rig.Host.Get<IdempotencyStore>();
}
