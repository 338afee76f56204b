using BrazeFunctions.Core.Pacing;
using static BrazeFunctions.Tests.Pacing.PacingKit;

namespace BrazeFunctions.Tests.Pacing;

/// <summary>The window model on its own: state and a time in, grant / wait until T for a reason / claim n out.</summary>
public sealed class WindowModelTests
{
    private static readonly TimeSpan Fallback = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxHold = TimeSpan.FromHours(1);
    private static readonly PacePolicy Alone = new(Share: 1, InitialRequests: 1, UseLedger: false);
    private static readonly PacePolicy WithLedger = new(Share: 1, InitialRequests: 1, UseLedger: true);
    private static readonly PacePolicy InitialFour = new(Share: 1, InitialRequests: 4, UseLedger: false);

    private readonly BrazeClock _clock = new();
    private readonly WindowModel _model = new();
    private DateTimeOffset _now = Start;

    [Fact]
    public void Decide_NothingKnown_GrantsTheInitialRequestsThenWaitsForTheFirstHeaders()
    {
        var probe = Decide(Alone);

        Assert.Equal(PaceStepKind.Grant, probe.Kind);
        Assert.Equal(new PaceGrant(0, FromLedger: false, Probe: false, SpendBy: null), probe.Grant);
        Assert.Equal(PaceStep.Wait(PaceReason.FirstHeaders), Decide(Alone));
    }

    [Fact]
    public void Decide_RemainingAtTheShareThreshold_WaitsForTheNextWindowForBudget()
    {
        Learn(Grant(), status: 201, limit: 10, remaining: 5, resetInSeconds: 2);

        var step = Decide(Alone with { Share = 0.5 });

        // The reset on our clock at the latest it can be: the answer's arrival and Date were the same instant.
        Assert.Equal(PaceStep.Wait(PaceReason.Budget, Start.AddSeconds(2)), step);
    }

    [Fact]
    public void Decide_KnownLength_SpreadsTheWindowsBudgetFromItsPhase()
    {
        LearnLength(limit: 10);

        var first = Decide(Alone, phase: 0.5);
        var second = Decide(Alone, phase: 0.5);

        // Window [6 s, 9 s), spread over the 2 s before its guard band: slots at (k + 0.5) x 0.2 s, the first at 6.1 s.
        Assert.Equal(PaceStep.Wait(PaceReason.Spread, Start.AddMilliseconds(6100)), first);
        _now = Start.AddMilliseconds(6100);
        Assert.Equal(PaceStepKind.Grant, Decide(Alone, phase: 0.9).Kind);
        Assert.Equal(PaceStep.Wait(PaceReason.Spread, Start.AddMilliseconds(6300)), Decide(Alone));
        Assert.Equal(first, second);
    }

    [Fact]
    public void Decide_InsideTheGuardBandBeforeTheReset_WaitsForTheWindowBoundary()
    {
        Learn(Grant(), status: 201, limit: 10, remaining: 9, resetInSeconds: 3);
        _now = Start.AddMilliseconds(2500);

        // Without a learned length the band is the clock's whole uncertainty: a request now could count in either window.
        Assert.Equal(PaceStep.Wait(PaceReason.WindowBoundary, Start.AddSeconds(3)), Decide(Alone));
    }

    [Fact]
    public void Decide_WithTheLedger_ClaimsAChunkThenGrantsOnlyWhatWasWritten()
    {
        LearnLength(limit: 12);
        _now = Start.AddMilliseconds(7900);

        var claim = Decide(WithLedger);
        Assert.Equal(PaceStepKind.Claim, claim.Kind);
        var asked = claim.Claim!.Value;
        // 12 requests per 3 s at about four claims a second: chunks of one; the cap is what the spread released so far
        // (all of it, this close to the window's guard band).
        Assert.Equal((Start.AddSeconds(9).ToUnixTimeSeconds(), 1, 12), (asked.Window, asked.Want, asked.Cap));
        Assert.Equal(PaceStep.Wait(PaceReason.Ledger), Decide(WithLedger));

        _model.ClaimEnded(asked, new LedgerClaimResult(LedgerClaimStatus.Written, 1, 1), _now, TimeSpan.FromMilliseconds(80));
        Assert.Equal(new PaceGrant(asked.Window, FromLedger: true, Probe: false, SpendBy: Start.AddSeconds(8)), Decide(WithLedger).Grant);
        Assert.Equal(PaceStepKind.Claim, Decide(WithLedger).Kind);
    }

    [Fact]
    public void Decide_ClaimThatLostEveryWrite_GrantsNothingAndAsksAgainAfterTheBackoff()
    {
        LearnLength(limit: 12);
        _now = Start.AddMilliseconds(7900);
        var asked = Decide(WithLedger).Claim!.Value;

        _model.ClaimEnded(asked, new LedgerClaimResult(LedgerClaimStatus.Contended, 0, 0), _now, TimeSpan.FromMilliseconds(80));

        Assert.Equal(PaceStep.Wait(PaceReason.Ledger, _now.AddMilliseconds(80)), Decide(WithLedger));
        _now = _now.AddMilliseconds(80);
        Assert.Equal(PaceStepKind.Claim, Decide(WithLedger).Kind);
    }

    [Fact]
    public void Decide_LedgerSpentForTheWholeWindow_WaitsForTheNextOne()
    {
        LearnLength(limit: 12);
        _now = Start.AddMilliseconds(7900);
        var asked = Decide(WithLedger).Claim!.Value;
        Assert.True(asked.CapIsTheWindow);

        _model.ClaimEnded(asked, new LedgerClaimResult(LedgerClaimStatus.Unchanged, 0, 12), _now, TimeSpan.Zero);

        Assert.Equal(PaceStep.Wait(PaceReason.Budget, Start.AddSeconds(9)), Decide(WithLedger));
    }

    [Fact]
    public void Learn_429_ClosesUntilBrazesRetryWaitAndReturnsTheHold()
    {
        var hold = Learn(Grant(), status: 429, limit: 10, remaining: 0, resetInSeconds: 30, retryAfter: TimeSpan.FromSeconds(4));

        Assert.Equal(new Hold(Start.AddSeconds(4), Capped: false), hold);
        Assert.Equal(PaceStep.Wait(PaceReason.RateLimited, Start.AddSeconds(4)), Decide(Alone));
    }

    [Fact]
    public void Learn_429HeldLongerThanTheBound_IsCutThenOneProbeGoesFirst()
    {
        var hold = Learn(Grant(), status: 429, limit: null, remaining: null, resetInSeconds: null, retryAfter: TimeSpan.FromDays(2));

        Assert.Equal(new Hold(Start + MaxHold, Capped: true), hold);
        _now = Start + MaxHold;
        var probe = Decide(Alone);
        Assert.True(probe.Grant!.Probe);
        Assert.Equal(PaceStep.Wait(PaceReason.Probe), Decide(Alone));

        Assert.Null(Learn(probe.Grant, status: 201, limit: 10, remaining: 9, resetInSeconds: 3));
        Assert.Equal(PaceStepKind.Grant, Decide(Alone).Kind);
    }

    [Fact]
    public void Learn_ProbeAnswered429Again_KeepsProbingAfterTheNextHold()
    {
        Learn(Grant(), status: 429, limit: null, remaining: null, resetInSeconds: null, retryAfter: TimeSpan.FromDays(2));
        _now = Start + MaxHold;
        var probe = Decide(Alone).Grant!;

        Learn(probe, status: 429, limit: null, remaining: null, resetInSeconds: null, retryAfter: TimeSpan.FromSeconds(5));
        _now = _now.AddSeconds(5);

        Assert.True(Decide(Alone).Grant!.Probe);
    }

    [Fact]
    public void Release_UnsentGrant_GivesItsPlaceAndItsLedgerTokenBack()
    {
        LearnLength(limit: 12);
        _now = Start.AddMilliseconds(7900);
        var asked = Decide(WithLedger).Claim!.Value;
        _model.ClaimEnded(asked, new LedgerClaimResult(LedgerClaimStatus.Written, 1, 1), _now, TimeSpan.Zero);
        var grant = Decide(WithLedger).Grant!;
        Assert.Equal(0, _model.Ledger.Tokens(asked.Window));

        _model.Release(grant);

        Assert.Equal((0, 1), (_model.InFlight, _model.Ledger.Tokens(asked.Window)));
        Assert.True(Decide(WithLedger).Grant!.FromLedger);
    }

    [Fact]
    public void Forecast_Closed_StartsAtTheEndOfTheHold()
    {
        Learn(Grant(), status: 429, limit: null, remaining: null, resetInSeconds: null, retryAfter: TimeSpan.FromSeconds(20));

        Assert.Equal(TimeSpan.FromSeconds(20), _model.Forecast(_now, 0, _clock, share: 1));
    }

    [Fact]
    public void Forecast_PlacesBeyondThisWindow_CountWholeWindowsOfThisInstancesBudget()
    {
        LearnLength(limit: 3);

        // Window [6 s, 9 s) predicted whole: places 0-2 in it a second apart, 3-5 in the next, and so on.
        Assert.Equal(TimeSpan.Zero, _model.Forecast(_now, 0, _clock, share: 1));
        Assert.Equal(TimeSpan.FromSeconds(2), _model.Forecast(_now, 2, _clock, share: 1));
        Assert.Equal(TimeSpan.FromSeconds(3), _model.Forecast(_now, 3, _clock, share: 1));
        Assert.Equal(TimeSpan.FromSeconds(10), _model.Forecast(_now, 10, _clock, share: 1));
    }

    [Fact]
    public void Forecast_FleetSharesTheLedger_CountsOnlyThisInstancesPart()
    {
        LearnLength(limit: 12);
        _now = Start.AddMilliseconds(7900);
        var asked = Decide(WithLedger).Claim!.Value;
        // This instance holds 1 of the 2 requests the fleet was granted in this window: half of each window is its own.
        _model.ClaimEnded(asked, new LedgerClaimResult(LedgerClaimStatus.Written, 1, 2), _now, TimeSpan.Zero);

        // 6 a window, one every 0.5 s: one more fits before this window stops at 8 s, then 6 in [9 s, 12 s): place 7 is at 12 s.
        Assert.Equal(0.5, _model.OwnShare);
        Assert.Equal(TimeSpan.FromMilliseconds(4100), _model.Forecast(_now, 7, _clock, share: 1));
    }

    [Fact]
    public void Learn_AloneWithRequestsGrantedBeforeTheWindowWasKnown_KeepsTheWholeShare()
    {
        var first = Enumerable.Range(0, 4).Select(_ => Grant(InitialFour)).ToList();
        // Braze counted all four in one window; their answers name it, and teach this instance the window only then.
        first.ForEach(grant => Learn(grant, status: 201, limit: 100, remaining: 96, resetInSeconds: 3));

        var fifth = Grant(Alone);
        Learn(fifth, status: 201, limit: 100, remaining: 95, resetInSeconds: 3);

        // All five of the window's requests were this instance's (counting the grants of this window alone saw 1 of 5).
        Assert.Equal(1, _model.OwnShare);
    }

    [Fact]
    public void Learn_AnotherClientSpendsTheSameWindow_ThisInstancesShareIsItsPartOfTheUse()
    {
        var first = Enumerable.Range(0, 4).Select(_ => Grant(InitialFour)).ToList();
        first.ForEach(grant => Learn(grant, status: 201, limit: 100, remaining: 96, resetInSeconds: 3));
        var inFlight = Grant(Alone);
        var answered = Grant(Alone);

        Learn(answered, status: 201, limit: 100, remaining: 85, resetInSeconds: 3);

        // 15 used: 4 + 1 answered and 1 in flight are this instance's (Braze may have counted it), 9 another's.
        Assert.Equal(6 / 15.0, _model.OwnShare, precision: 6);
        Assert.NotNull(inFlight);
    }

    [Fact]
    public void ForecastLeaving_SecondLeaverForTheSamePlace_ComesBackOneSlotOfThisInstanceLater()
    {
        LearnLength(limit: 3);

        Assert.Equal(TimeSpan.FromSeconds(6), _model.ForecastLeaving(_now, 6, _clock, share: 1, weight: 1));
        Assert.Equal(TimeSpan.FromSeconds(7), _model.ForecastLeaving(_now, 6, _clock, share: 1, weight: 1));
        Assert.Equal(TimeSpan.FromSeconds(6), _model.Forecast(_now, 6, _clock, share: 1));
    }

    [Fact]
    public void ForecastLeaving_LeaversBeforeTheLengthWasLearned_DoNotPushBackTheLeaversAfterIt()
    {
        Learn(Grant(), status: 201, limit: 60, remaining: 59, resetInSeconds: 3);
        // The limit is known, the length not yet: each leaver books a second.
        var early = Enumerable.Range(0, 10).Select(_ => _model.ForecastLeaving(_now, 100, _clock, share: 1, weight: 1)).ToList();
        Assert.Equal(early[0] + TimeSpan.FromSeconds(9), early[9]);

        _now = Start.AddSeconds(3);
        Learn(Grant(), status: 201, limit: 60, remaining: 59, resetInSeconds: 3);

        // A 3-s window of 60: the ten booked seconds are ten 50-ms slots now, and the next leaver's own place is later.
        var forecast = _model.Forecast(_now, 100, _clock, share: 1);
        Assert.Equal(forecast, _model.ForecastLeaving(_now, 100, _clock, share: 1, weight: 1));
        Assert.True(forecast < early[9] - TimeSpan.FromSeconds(3), $"{forecast} against {early[9]}");
    }

    [Fact]
    public void Forecast_NothingKnown_TheFirstGoesNowTheRestAfterTheRoundTripThatTeachesTheWindow()
    {
        Assert.Equal(TimeSpan.Zero, _model.Forecast(_now, 0, _clock, share: 1));
        Assert.Equal(TimeSpan.FromSeconds(1), _model.Forecast(_now, 40, _clock, share: 1));
    }

    [Fact]
    public void Forecast_WindowOverAndLengthUnknown_ARoundTripForEachBudgetAhead()
    {
        Learn(Grant(), status: 201, limit: 3, remaining: 2, resetInSeconds: 3);
        _now = Start.AddSeconds(10);

        Assert.Equal(TimeSpan.FromSeconds(1), _model.Forecast(_now, 3, _clock, share: 1));
        Assert.Equal(TimeSpan.FromSeconds(2), _model.Forecast(_now, 4, _clock, share: 1));
    }

    private PaceStep Decide(PacePolicy policy, double phase = 0) => _model.Decide(_now, _clock, policy, phase);

    private PaceGrant Grant() => Grant(Alone);

    private PaceGrant Grant(PacePolicy policy) => Decide(policy).Grant ?? throw new InvalidOperationException("expected a grant");

    private Hold? Learn(PaceGrant grant, int status, long? limit, long? remaining, int? resetInSeconds, TimeSpan? retryAfter = null) =>
        _model.Learn(grant, Answer(_now, status, limit, remaining, resetInSeconds, retryAfter), _now, _clock, Fallback, MaxHold);

    /// <summary>Answers at 0 s and 3 s, each with a reset 3 s away: the window is 3 s long; it is now 6 s, the next window's start.</summary>
    private void LearnLength(long limit)
    {
        Learn(Grant(), status: 201, limit, remaining: limit - 1, resetInSeconds: 3);
        _now = Start.AddSeconds(3);
        Learn(Grant(), status: 201, limit, remaining: limit - 1, resetInSeconds: 3);
        _now = Start.AddSeconds(6);
    }
}
