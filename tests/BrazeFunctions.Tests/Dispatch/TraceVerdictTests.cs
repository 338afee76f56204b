using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;

namespace BrazeFunctions.Tests.Dispatch;

public sealed class TraceVerdictTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly string Id = Guid.CreateVersion7(Now.AddMinutes(-10)).ToString("N");

    [Fact]
    public void Decide_DeliveredRecord_SaysWhenBrazesStatusAndTheBatchSize()
    {
        var (state, summary) = TraceVerdict.Decide(
            [Record(TraceEvent.Deferred, -5) with { Reason = "rate_limit", Until = Now.AddMinutes(-4) }, Record(TraceEvent.Delivered, -3) with { Status = 201, BatchSize = 12, Endpoint = "/users/track", Workspace = "default" }],
            null, onOutbox: false, Now);

        Assert.Equal(MessageState.Delivered, state);
        Assert.Equal("delivered at 2026-12-05 11:57:00.000Z: Braze answered 201, in a request of 12 message(s) to /users/track (workspace default)", summary);
    }

    [Fact]
    public void Decide_CopiesEndingAfterTheDelivery_LeaveItDelivered()
    {
        var (state, summary) = TraceVerdict.Decide(
            [Record(TraceEvent.Delivered, -5) with { Status = 201, BatchSize = 1 }, Record(TraceEvent.Deferred, -4) with { Reason = "claim_conflict", Until = Now.AddMinutes(1) }, Record(TraceEvent.Duplicate, -3)],
            null, onOutbox: false, Now);

        Assert.Equal(MessageState.Delivered, state);
        Assert.EndsWith("; 2 later record(s) are copies of it that sent nothing more", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_ReplayedAfterADelivery_IsTheReplay()
    {
        Assert.Equal(MessageState.Replayed, TraceVerdict.Decide([Record(TraceEvent.Delivered, -5), Record(TraceEvent.DeadLettered, -4), Record(TraceEvent.Replayed, -3)], null, false, Now).State);
    }

    [Fact]
    public void Decide_DeferredUntilLater_IsWaitingUntilThen()
    {
        var (state, summary) = TraceVerdict.Decide([Record(TraceEvent.Deferred, -1) with { Reason = "rate_limit", Status = 429, Until = Now.AddMinutes(2) }], null, false, Now);

        Assert.Equal(MessageState.Waiting, state);
        Assert.Contains("(rate_limit, Braze answered 429), invisible until 2026-12-05 12:02:00.000Z", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_DeferralOver_IsQueuedAndVisible()
    {
        var (state, summary) = TraceVerdict.Decide([Record(TraceEvent.Deferred, -3) with { Reason = "retry_schedule", Until = Now.AddMinutes(-2) }], null, false, Now);

        Assert.Equal(MessageState.Queued, state);
        Assert.Contains("visible again since 2026-12-05 11:58:00.000Z", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_OnThePoisonQueue_IsDeadLetteredWithReasonAndDetailWhateverTheRecordsSay()
    {
        var reason = new DeadLetterReason("http_400", 400, "Invalid 'external_id'", "Braze errors: invalid", "/users/track", "r", Id, 0, Now.AddMinutes(-10), Now.AddMinutes(-2), null);
        var item = new DeadLetterItem("q-1", Now.AddMinutes(-2), 1, new PoisonEntry(PoisonKind.DeadLetter, null, reason, null));

        var (state, summary) = TraceVerdict.Decide([Record(TraceEvent.Deferred, -5)], item, false, Now);

        Assert.Equal(MessageState.DeadLettered, state);
        Assert.Equal("dead-lettered at 2026-12-05 11:58:00.000Z: http_400, Braze answered 400: Invalid 'external_id'; Braze errors: invalid", summary);
    }

    [Fact]
    public void Decide_ReplayedLast_IsReplayed()
    {
        var (state, _) = TraceVerdict.Decide([Record(TraceEvent.DeadLettered, -5) with { Reason = "http_500" }, Record(TraceEvent.Replayed, -1)], null, false, Now);

        Assert.Equal(MessageState.Replayed, state);
    }

    [Fact]
    public void Decide_DeadLetteredRecordButGoneFromThePoisonQueue_SaysSo()
    {
        var (state, summary) = TraceVerdict.Decide([Record(TraceEvent.DeadLettered, -5) with { Reason = "expired" }], null, false, Now);

        Assert.Equal(MessageState.DeadLettered, state);
        Assert.Contains("no longer on the poison queue", summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TraceEvent.Purged, MessageState.Purged)]
    [InlineData(TraceEvent.Aborted, MessageState.Aborted)]
    [InlineData(TraceEvent.Duplicate, MessageState.Duplicate)]
    public void Decide_LastRecord_GivesTheState(TraceEvent last, MessageState expected)
    {
        Assert.Equal(expected, TraceVerdict.Decide([Record(last, -1)], null, false, Now).State);
    }

    [Fact]
    public void Decide_NoRecordButOnTheOutbox_IsQueued()
    {
        Assert.Equal(MessageState.Queued, TraceVerdict.Decide([], null, onOutbox: true, Now).State);
    }

    [Fact]
    public void Decide_NothingAnywhere_IsUnknownAndSaysWhatThatCanMean()
    {
        var (state, summary) = TraceVerdict.Decide([], null, onOutbox: false, Now);

        Assert.Equal(MessageState.Unknown, state);
        Assert.Contains("being dispatched right now", summary, StringComparison.Ordinal);
        Assert.Contains("Trace__Retention", summary, StringComparison.Ordinal);
    }

    private static TraceRecord Record(TraceEvent traceEvent, int minutes) => new(Id, traceEvent, Now.AddMinutes(minutes)) { Route = "r" };
}
