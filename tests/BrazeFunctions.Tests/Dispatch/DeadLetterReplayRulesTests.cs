using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;

namespace BrazeFunctions.Tests.Dispatch;

public sealed class DeadLetterReplayRulesTests
{
    private static readonly DateTimeOffset Received = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    private static readonly WebhookEnvelope Envelope = new(1, "m-1", "counter-increment", Received, "{\"user_id\":\"u-1\"}", null, null, 4);

    private static readonly DeadLetterReason Reason = new("http_400", 400, null, null, "/users/track", "counter-increment", "m-1", 4, Received, Received.AddMinutes(1), null);

    private static string? Default(string route) => "default";

    [Fact]
    public void Decide_ReadableDeadLetter_ReplaysFromAttemptZeroWithAFreshClockAndTheOriginalReceipt()
    {
        var decision = DeadLetterReplayRules.Decide(new PoisonEntry(PoisonKind.DeadLetter, Envelope, Reason, null), new ReplayOptions(), Default, Now);

        var replayed = Assert.IsType<WebhookEnvelope>(decision.Envelope);
        Assert.Equal(0, replayed.Attempt);
        Assert.Equal(Now, replayed.ReplayedAt);
        Assert.Equal(Received, replayed.ReceivedAt);
        Assert.Equal(Now, replayed.AgeClockStart);
        Assert.False(replayed.OverrideClaim);
        Assert.Equal(Envelope.PayloadJson, replayed.PayloadJson);
    }

    [Fact]
    public void Decide_AmbiguousOutcomeWithoutTheFlag_IsSkippedSayingHowToResend()
    {
        var entry = new PoisonEntry(PoisonKind.DeadLetter, Envelope, Reason with { Code = DeadLetterCodes.AmbiguousOutcome }, null);

        var decision = DeadLetterReplayRules.Decide(entry, new ReplayOptions(), Default, Now);

        Assert.Null(decision.Envelope);
        Assert.True(decision.Ambiguous);
        Assert.Contains("--include-ambiguous", decision.Problem, StringComparison.Ordinal);
        Assert.Contains("count twice", decision.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_AmbiguousOutcomeWithTheFlag_ReplaysWithTheClaimOverridden()
    {
        var entry = new PoisonEntry(PoisonKind.DeadLetter, Envelope, Reason with { Code = DeadLetterCodes.AmbiguousOutcome }, null);

        var decision = DeadLetterReplayRules.Decide(entry, new ReplayOptions(IncludeAmbiguous: true), Default, Now);

        Assert.True(decision.Envelope!.OverrideClaim);
        Assert.True(decision.Ambiguous);
    }

    [Fact]
    public void Decide_ClaimOverrideFromAnEarlierReplay_IsNotCarriedIntoAPlainReplay()
    {
        var entry = new PoisonEntry(PoisonKind.DeadLetter, Envelope with { OverrideClaim = true }, Reason, null);

        var decision = DeadLetterReplayRules.Decide(entry, new ReplayOptions(IncludeAmbiguous: true), Default, Now);

        Assert.False(decision.Envelope!.OverrideClaim);
    }

    [Fact]
    public void Decide_UnreadableReason_IsTreatedAsPossiblyAmbiguous()
    {
        var entry = new PoisonEntry(PoisonKind.DeadLetter, Envelope, null, "the dead letter's reason cannot be read (at $.status)");

        var skipped = DeadLetterReplayRules.Decide(entry, new ReplayOptions(), Default, Now);
        var included = DeadLetterReplayRules.Decide(entry, new ReplayOptions(IncludeAmbiguous: true), Default, Now);

        Assert.Contains("$.status", skipped.Problem, StringComparison.Ordinal);
        Assert.Contains("--include-ambiguous", skipped.Problem, StringComparison.Ordinal);
        Assert.True(included.Envelope!.OverrideClaim);
    }

    [Fact]
    public void Decide_WorkspaceChanged_IsRefusedNamingBothWorkspaces()
    {
        var entry = new PoisonEntry(PoisonKind.DeadLetter, Envelope, Reason with { Workspace = "brandus" }, null);

        var decision = DeadLetterReplayRules.Decide(entry, new ReplayOptions(), _ => "brandeu", Now);

        Assert.Null(decision.Envelope);
        Assert.Contains("'brandus'", decision.Problem, StringComparison.Ordinal);
        Assert.Contains("'brandeu'", decision.Problem, StringComparison.Ordinal);
        Assert.Contains("--force", decision.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_WorkspaceChangedWithForce_Replays()
    {
        var entry = new PoisonEntry(PoisonKind.DeadLetter, Envelope, Reason with { Workspace = "brandus" }, null);

        var decision = DeadLetterReplayRules.Decide(entry, new ReplayOptions(Force: true), _ => "brandeu", Now);

        Assert.NotNull(decision.Envelope);
    }

    [Fact]
    public void Decide_DeadLetterFromBeforeWorkspaces_CountsAsTheDefaultWorkspace()
    {
        var entry = new PoisonEntry(PoisonKind.DeadLetter, Envelope, Reason, null);

        var toDefault = DeadLetterReplayRules.Decide(entry, new ReplayOptions(), Default, Now);
        var toOther = DeadLetterReplayRules.Decide(entry, new ReplayOptions(), _ => "brandeu", Now);

        Assert.NotNull(toDefault.Envelope);
        Assert.Contains("'default'", toOther.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_BareHostCopy_HasNoWorkspaceRecordToCheck()
    {
        var decision = DeadLetterReplayRules.Decide(new PoisonEntry(PoisonKind.HostPoison, Envelope, null, null), new ReplayOptions(), _ => "brandeu", Now);

        Assert.NotNull(decision.Envelope);
    }

    [Fact]
    public void Decide_RouteWithoutATemplate_IsSkipped()
    {
        var decision = DeadLetterReplayRules.Decide(new PoisonEntry(PoisonKind.DeadLetter, Envelope, Reason, null), new ReplayOptions(), _ => null, Now);

        Assert.Contains("'counter-increment' has no template", decision.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_NoReadableEnvelope_IsSkippedWithTheCodecsProblem()
    {
        var decision = DeadLetterReplayRules.Decide(new PoisonEntry(PoisonKind.Unreadable, null, null, "The envelope's 'id' must be a string, not a JSON number."), new ReplayOptions(Force: true, IncludeAmbiguous: true), Default, Now);

        Assert.Null(decision.Envelope);
        Assert.Contains("'id' must be a string", decision.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_RecordsDroppedBeforeAReplayedCopyCouldClaim_IsSkippedUnlessForced()
    {
        // Records of the receipt day are kept until 4 days after it; a replayed copy may claim up to 2 days after the replay.
        var horizon = new ReplayHorizon(from => from + TimeSpan.FromDays(4), TimeSpan.FromDays(2));
        var entry = new PoisonEntry(PoisonKind.DeadLetter, Envelope, Reason, null);

        var skipped = DeadLetterReplayRules.Decide(entry, new ReplayOptions(), Default, Received.AddDays(3), horizon);
        var forced = DeadLetterReplayRules.Decide(entry, new ReplayOptions(Force: true), Default, Received.AddDays(3), horizon);
        var inTime = DeadLetterReplayRules.Decide(entry, new ReplayOptions(), Default, Received.AddDays(1), horizon);

        Assert.Null(skipped.Envelope);
        Assert.Contains("--force", skipped.Problem, StringComparison.Ordinal);
        Assert.NotNull(forced.Envelope);
        Assert.NotNull(inTime.Envelope);
    }

    [Fact]
    public void Decide_DeadLetterOfAReplay_NamesItsReplayAsWhereItsRecordsAreAndInheritsNoClaim()
    {
        var earlierReplay = Received.AddDays(2);
        var envelope = Envelope with { ReplayedAt = earlierReplay, ClaimToken = "run-7" };

        var decision = DeadLetterReplayRules.Decide(new PoisonEntry(PoisonKind.DeadLetter, envelope, Reason, null), new ReplayOptions(), Default, Now);

        Assert.Equal(earlierReplay, decision.Envelope!.PriorRecordsAt);
        Assert.Equal(Now, decision.Envelope.ReplayedAt);
        Assert.Null(decision.Envelope.ClaimToken);
    }
}
