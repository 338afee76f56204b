using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;

namespace BrazeFunctions.Tests.Dispatch;

public sealed class DeadLetterFilterTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    private static readonly DeadLetterItem Http400 = new("q-1", At.AddMinutes(1), 1, new PoisonEntry(PoisonKind.DeadLetter, null,
        new DeadLetterReason("http_400", 400, null, null, "/users/track", "attribute-from-event", "m-1", 0, At.AddHours(-1), At, null), null));

    private static readonly DeadLetterItem HostCopy = new("q-2", At.AddHours(2), 10, new PoisonEntry(PoisonKind.HostPoison,
        new WebhookEnvelope(1, "m-2", "trigger-canvas", At, "{}", null, null, 0), null, null));

    private static readonly DeadLetterItem Garbage = new("q-3", At.AddHours(3), 1, new PoisonEntry(PoisonKind.Unreadable, null, null, "not JSON"));

    [Fact]
    public void Matches_Reason_IsTheCodeOrHostPoisonOrUnreadable()
    {
        Assert.True(new DeadLetterFilter { Reason = "HTTP_400" }.Matches(Http400));
        Assert.False(new DeadLetterFilter { Reason = "http_400" }.Matches(HostCopy));
        Assert.True(new DeadLetterFilter { Reason = "host_poison" }.Matches(HostCopy));
        Assert.True(new DeadLetterFilter { Reason = "unreadable" }.Matches(Garbage));
    }

    [Fact]
    public void Matches_Since_ComparesWithWhenItWasDeadLetteredElseWhenItArrived()
    {
        var filter = new DeadLetterFilter { Since = At.AddMinutes(30) };

        Assert.False(filter.Matches(Http400)); // dead-lettered at At, though it reached the queue a minute later
        Assert.True(filter.Matches(HostCopy)); // no reason: its arrival counts
    }

    [Fact]
    public void Matches_Id_IsTheEnvelopeIdOrTheQueueMessageId()
    {
        Assert.True(new DeadLetterFilter(Id: "m-1").Matches(Http400));
        Assert.True(new DeadLetterFilter(Id: "q-1").Matches(Http400));
        Assert.True(new DeadLetterFilter(Id: "m-2").Matches(HostCopy));
        Assert.False(new DeadLetterFilter(Id: "m-1").Matches(Garbage));
    }

    [Fact]
    public void Matches_EveryCriterionGiven_MustHold()
    {
        Assert.True(new DeadLetterFilter(Route: "attribute-from-event", Status: 400) { Reason = "http_400" }.Matches(Http400));
        Assert.False(new DeadLetterFilter(Route: "attribute-from-event", Status: 401).Matches(Http400));
    }

    [Fact]
    public void SelectsAll_OnlyWithoutAnyCriterion()
    {
        Assert.True(new DeadLetterFilter().SelectsAll);
        Assert.False(new DeadLetterFilter { Reason = "x" }.SelectsAll);
        Assert.False(new DeadLetterFilter { Since = At }.SelectsAll);
    }

    [Fact]
    public void OutcomeUnknown_OnlyForAmbiguousOutcome()
    {
        var ambiguous = Http400 with { Entry = Http400.Entry with { Reason = Http400.Entry.Reason! with { Code = "ambiguous_outcome" } } };

        Assert.True(ambiguous.OutcomeUnknown);
        Assert.False(Http400.OutcomeUnknown);
    }
}
