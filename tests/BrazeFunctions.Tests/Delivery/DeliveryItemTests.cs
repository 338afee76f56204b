using Azure;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Messages;
using static BrazeFunctions.Tests.Delivery.DeliveryItems;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>One message's part of a request: who may take it (sender or withdrawing caller), what a deferral writes back, its bucket.</summary>
public sealed class DeliveryItemTests
{
    private const string OneUser = "{\"attributes\":[{\"external_id\":\"u1\",\"plan\":\"gold\"}]}";

    [Fact]
    public async Task TryWithdraw_BeforeSending_WinsAndReportsWithdrawn()
    {
        var item = Item(OneUser);

        Assert.True(item.TryWithdraw());

        Assert.True(item.IsWithdrawn);
        Assert.False(item.TryStartSending());
        Assert.IsType<DeliveryReport.Withdrawn>(await item.Report);
    }

    [Fact]
    public void TryWithdraw_OnceSending_FailsAndLeavesTheReportOpen()
    {
        var item = Item(OneUser);

        Assert.True(item.TryStartSending());

        Assert.False(item.TryWithdraw());
        Assert.False(item.IsWithdrawn);
        Assert.False(item.Report.IsCompleted);
    }

    [Fact]
    public async Task Finish_AfterWithdrawal_KeepsTheFirstReport()
    {
        var item = Item(OneUser);
        item.TryWithdraw();

        item.Finish(new DeliveryReport.ShutDown());

        Assert.IsType<DeliveryReport.Withdrawn>(await item.Report);
    }

    [Theory]
    [InlineData(AmbiguousOutcomePolicy.Retry, true)]
    [InlineData(AmbiguousOutcomePolicy.DeadLetter, false)]
    public void MayResendWhenAmbiguous_OnlyWhenThePolicySaysARepeatIsHarmless(AmbiguousOutcomePolicy policy, bool expected)
    {
        Assert.Equal(expected, New(Envelope(), policy).MayResendWhenAmbiguous);
    }

    [Fact]
    public void MayResendWhenAmbiguous_OperatorOverride_DoesNotMakeAnUnknownOutcomeResendable()
    {
        Assert.False(New(Envelope() with { OverrideClaim = true }, AmbiguousOutcomePolicy.DeadLetter).MayResendWhenAmbiguous);
    }

    [Fact]
    public void NextEnvelope_InheritingTheClaim_NamesItsTokenElseNone()
    {
        var item = New(Envelope() with { ClaimToken = "older" }, AmbiguousOutcomePolicy.DeadLetter);
        item.Claim = new IdempotencyRecord("t", "p", "r", RecordState.Sending, item.MessageId, "token-1", DateTimeOffset.UnixEpoch, ETag.All);

        Assert.Equal("token-1", item.NextEnvelope(inheritsClaim: true).ClaimToken);
        Assert.Null(item.NextEnvelope(inheritsClaim: false).ClaimToken);
    }

    [Fact]
    public void NextEnvelope_OverrideUnspent_IsKeptUntilTheCopyHasClaimed()
    {
        var item = New(Envelope() with { OverrideClaim = true }, AmbiguousOutcomePolicy.DeadLetter);

        Assert.True(item.NextEnvelope(inheritsClaim: false).OverrideClaim);

        item.HasClaimed = true;
        Assert.False(item.NextEnvelope(inheritsClaim: false).OverrideClaim);
    }

    [Fact]
    public void Bucket_TriggerWithRecipientsOrWithout_IsMessagingOrBroadcast()
    {
        var named = Item("{\"canvas_id\":\"c1\",\"recipients\":[{\"external_user_id\":\"u1\"}]}", BrazeEndpoints.CanvasTriggerSend);
        var broadcast = Item("{\"canvas_id\":\"c1\",\"broadcast\":true}", BrazeEndpoints.CanvasTriggerSend);

        Assert.Equal(BrazeBucket.Messaging, named.Bucket);
        Assert.Equal(BrazeBucket.Broadcast, broadcast.Bucket);
        Assert.Equal(BrazeBucket.UsersTrack, Item(OneUser).Bucket);
    }

    private static WebhookEnvelope Envelope() =>
        new(WebhookEnvelope.CurrentVersion, "m-1", "route", DateTimeOffset.UnixEpoch, "{}", null, null, 0);

    private static DeliveryItem New(WebhookEnvelope envelope, AmbiguousOutcomePolicy policy) =>
        new(envelope, Workspace, BrazeEndpoints.UsersTrack, RequestMerger.Analyze(BrazeEndpoints.UsersTrack, OneUser, true), envelope.Id, policy, coalesce: true);
}
