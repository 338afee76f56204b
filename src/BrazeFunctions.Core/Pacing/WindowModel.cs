using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// The one place that decides whether a request to one bucket may go: a pure, synchronous model of the bucket's window
/// on this instance. Given its state and the time it answers grant, wait (until a time, for a reason) or claim n
/// requests from the shared ledger first; given Braze's answer it learns; given a place in a line it forecasts when that
/// place can go. No clock, no randomness and no I/O of its own: the pacer locks it, feeds it and acts on its answers.
/// It sends while Remaining stays above (1 - share) x Limit, counting its own requests in flight, spread over the window
/// (<see cref="SpreadSchedule"/>); it stops spending a window at the earliest the reset can be on our clock and opens the
/// next at the latest (<see cref="BrazeClock"/>); with the ledger, it spends only what it claimed.
/// </summary>
internal sealed class WindowModel
{
    /// <summary>Claims on the shared ledger stay under about four per second per bucket, whatever the burst.</summary>
    private const double TargetClaimsPerSecond = 4;

    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(10);

    /// <summary>What a forecast assumes while the window is not known: about one round trip until the answer that teaches it.</summary>
    private static readonly TimeSpan UnknownPace = TimeSpan.FromSeconds(1);

    private readonly LearnedWindow _window = new();
    private readonly LedgerTokens _ledger = new();
    private readonly DeferralBook _book = new();
    private long _sentWindow;
    private long _sent;
    private long _answeredWindow;
    private long _answered;
    private double _phase;
    private long _phaseWindow = -1;
    private bool _probeFirst;
    private bool _probeInFlight;

    public LearnedWindow Window => _window;

    public LedgerTokens Ledger => _ledger;

    public int InFlight { get; private set; }

    public DateTimeOffset ClosedUntil { get; private set; }

    public PaceReason ClosedReason { get; private set; } = PaceReason.RateLimited;

    /// <summary>The part of the fleet's use of a window that was this instance's, from the ledger or the headers (1 alone).</summary>
    public double OwnShare { get; private set; } = 1;

    /// <summary>Closes the bucket until <paramref name="until"/> (a later close wins); <paramref name="probeFirst"/> makes one request go first when it ends.</summary>
    public void Close(DateTimeOffset until, PaceReason reason, bool probeFirst)
    {
        if (until > ClosedUntil)
        {
            (ClosedUntil, ClosedReason) = (until, reason);
        }

        _probeFirst |= probeFirst;
    }

    public TimeSpan ClosedFor(DateTimeOffset now) => ClosedUntil > now ? ClosedUntil - now : TimeSpan.Zero;

    /// <summary>May a request go now? <paramref name="freshPhase"/> (0 to 1) places the spread of a window seen for the first time.</summary>
    public PaceStep Decide(DateTimeOffset now, BrazeClock clock, PacePolicy policy, double freshPhase)
    {
        ArgumentNullException.ThrowIfNull(clock);
        if (now < ClosedUntil)
        {
            return PaceStep.Wait(ClosedReason, ClosedUntil);
        }

        if (_probeFirst)
        {
            return _probeInFlight ? PaceStep.Wait(PaceReason.Probe) : Grant(fromLedger: false, probe: true, spendBy: null);
        }

        if (_window.Limit is not { } limit || !_window.Roll(now, clock))
        {
            // Nothing known about the window (or its length, now that it ended): a few requests learn it.
            return InFlight < policy.InitialRequests ? Grant(fromLedger: false, probe: false, spendBy: null) : PaceStep.Wait(PaceReason.FirstHeaders);
        }

        if (_phaseWindow != _window.Id)
        {
            (_phaseWindow, _phase) = (_window.Id, freshPhase);
        }

        return DecideInWindow(now, clock, policy, limit);
    }

    /// <summary>A claim on the ledger ended; <paramref name="contentionBackoff"/> is when to ask again if other instances won every write.</summary>
    public void ClaimEnded(LedgerClaim claim, LedgerClaimResult result, DateTimeOffset now, TimeSpan contentionBackoff)
    {
        if (_ledger.Ended(claim, result, now, contentionBackoff, _window.Id) is { } share)
        {
            OwnShare = share;
        }
    }

    /// <summary>A granted request that was never sent: its place and its ledger token come back.</summary>
    public void Release(PaceGrant grant)
    {
        ArgumentNullException.ThrowIfNull(grant);
        InFlight--;
        if (grant.Window == _sentWindow && _sent > 0)
        {
            _sent--;
        }

        if (grant.FromLedger)
        {
            _ledger.GiveBack(grant.Window);
        }

        _probeInFlight &= !grant.Probe;
    }

    /// <summary>Learns from Braze's answer to a granted request; returns the hold when it was a 429.</summary>
    public Hold? Learn(PaceGrant grant, BrazeResponse response, DateTimeOffset now, BrazeClock clock, TimeSpan fallback, TimeSpan maxHold)
    {
        ArgumentNullException.ThrowIfNull(grant);
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(clock);
        InFlight--;
        var info = response.RateLimit;
        clock.Observe(response.SentAt, response.ReceivedAt, info.ServerDate);
        var limited = response.Kind == BrazeOutcomeKind.RateLimited;
        var reset = info.ResetWithin(maxHold);
        // A 429's reset says when to try again, which need not be a window boundary: only other answers teach the length.
        _window.Learn(info.Limit, info.Remaining, reset, teachesLength: !limited);
        LearnShare(info, reset, limited);
        if (!grant.FromLedger && reset is { } spentIn)
        {
            // A probe or a local-only send spent budget the ledger does not know of: the next claim in that window adds it.
            _ledger.CountUnledgered(spentIn.Window);
        }

        if (grant.Probe)
        {
            _probeInFlight = false;
            _probeFirst &= limited || response.IsTransportFailure;
        }

        if (!limited)
        {
            return null;
        }

        var hold = HoldRule.After429(info, now, clock, fallback, maxHold);
        Close(hold.Until, PaceReason.RateLimited, hold.Capped);
        return hold;
    }

    /// <summary>
    /// How long until the request <paramref name="position"/> places behind the next one can go: the bucket's hold, then
    /// this instance's part of each window's budget (its share of the fleet's use) spread over the window. An estimate
    /// that errs late: a message deferred by it comes back when its budget can send it, not before.
    /// </summary>
    public TimeSpan Forecast(DateTimeOffset now, int position, BrazeClock clock, double share)
    {
        ArgumentNullException.ThrowIfNull(clock);
        var start = now < ClosedUntil ? ClosedUntil : now;
        if (_window.Limit is not { } limit || _window.Id == 0)
        {
            // Nothing known: the first request learns the window, and the rest are forecast from its answer.
            return start - now + (position == 0 ? TimeSpan.Zero : UnknownPace);
        }

        var ownBudget = Math.Max(1, (long)Math.Floor(Usable(limit, share) * OwnShare));
        var opens = clock.Latest(_window.ResetAt + _window.Slack);
        var closes = clock.Earliest(_window.ResetAt);
        TimeSpan length;
        if (_window.LengthSeconds is { } seconds)
        {
            length = TimeSpan.FromSeconds(seconds);
        }
        else if (opens > start)
        {
            length = opens - start;
        }
        else
        {
            // The window is over and its length unknown: one request learns the next, a round trip for each budget ahead.
            return start - now + (UnknownPace * Math.Ceiling(position / (double)ownBudget));
        }

        var step = length / ownBudget;
        long left;
        if (opens <= start)
        {
            // The known window is over: the one under way now is predicted, with its budget whole.
            var behind = (long)Math.Floor((start - opens) / length) + 1;
            (opens, left) = (opens + (length * behind), ownBudget);
        }
        else
        {
            // What this instance may still send in the current window, at its pace, before the window stops being spent.
            var remaining = (_window.Remaining ?? limit) - (limit - Usable(limit, share)) - InFlight;
            var beforeClose = start >= closes ? 0 : (long)Math.Ceiling((closes - start) / step);
            left = Math.Max(0, Math.Min(Math.Min(ownBudget - SentIn(_window.Id), (long)Math.Floor(remaining * OwnShare)), beforeClose));
        }

        var at = position < left
            ? start + (step * position)
            : opens + (length * ((position - left) / ownBudget)) + (step * ((position - left) % ownBudget));
        return at > now ? at - now : TimeSpan.Zero;
    }

    /// <summary>The forecast for a request that leaves instead of waiting, after the slots promised to those that left before it; books its own <paramref name="weight"/> of a slot.</summary>
    public TimeSpan ForecastLeaving(DateTimeOffset now, int position, BrazeClock clock, double share, double weight)
    {
        var ownBudget = _window.Limit is { } limit ? Math.Max(1, (long)Math.Floor(Usable(limit, share) * OwnShare)) : 1;
        var slot = _window.LengthSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) / ownBudget : UnknownPace;
        return _book.Book(now + Forecast(now, position, clock, share), slot, weight) - now;
    }

    private PaceStep DecideInWindow(DateTimeOffset now, BrazeClock clock, PacePolicy policy, long limit)
    {
        var usable = Usable(limit, policy.Share);
        var opens = clock.Latest(_window.ResetAt + _window.Slack);
        var closes = clock.Earliest(_window.ResetAt);
        var sent = SentIn(_window.Id);
        var (allowed, nextSlot) = SpreadSchedule.At(usable, _window.LengthSeconds, opens, closes, now, _phase, sent);
        if (now >= closes && (_window.LengthSeconds is not { } seconds || opens - closes < TimeSpan.FromSeconds(seconds) / 2))
        {
            // The guard band around the reset: a request now might be counted in either window.
            return PaceStep.Wait(PaceReason.WindowBoundary, Later(opens, now));
        }

        if ((_window.Remaining ?? limit) - (limit - usable) - InFlight <= 0 || (policy.UseLedger && _ledger.SpentWindow == _window.Id))
        {
            return PaceStep.Wait(PaceReason.Budget, Later(opens, now));
        }

        if (sent >= allowed)
        {
            return PaceStep.Wait(PaceReason.Spread, Later(nextSlot, now));
        }

        if (!policy.UseLedger)
        {
            return Grant(fromLedger: false, probe: false, spendBy: closes);
        }

        if (_ledger.BusyUntil > now)
        {
            return PaceStep.Wait(PaceReason.Ledger, _ledger.BusyUntil);
        }

        if (_ledger.TryTake(_window.Id))
        {
            return Grant(fromLedger: true, probe: false, spendBy: closes);
        }

        if (_ledger.ClaimInProgress)
        {
            return PaceStep.Wait(PaceReason.Ledger);
        }

        _ledger.ClaimInProgress = true;
        var lengthSeconds = Math.Max(1, _window.LengthSeconds ?? 1);
        var chunk = (int)Math.Clamp(Math.Ceiling(usable / (lengthSeconds * TargetClaimsPerSecond)), 1, int.MaxValue);
        return PaceStep.Claiming(new LedgerClaim(_window.Id, chunk, (int)Math.Min(allowed, int.MaxValue), _ledger.UnledgeredIn(_window.Id), allowed >= usable, nextSlot));
    }

    private PaceStep Grant(bool fromLedger, bool probe, DateTimeOffset? spendBy)
    {
        InFlight++;
        if (_sentWindow != _window.Id)
        {
            (_sentWindow, _sent) = (_window.Id, 0);
        }

        _sent++;
        _probeInFlight |= probe;
        return PaceStep.Granted(new PaceGrant(_window.Id, fromLedger, probe, spendBy));
    }

    /// <summary>
    /// The fleet's use of the window so far, from the headers, weighed against this instance's: its share. Ours is what
    /// Braze can have counted of this instance in the window: the answers that named this window, plus the requests still
    /// in flight (Braze may have counted them already). Counting grants instead would miss the requests granted before
    /// the model's window moved to Braze's, and a lone instance would then see most of the window's use as another's.
    /// </summary>
    private void LearnShare(RateLimitInfo info, RateLimitReset? reset, bool limited)
    {
        if (limited || reset is not { } answered || Math.Abs(answered.Window - _window.Id) > (answered.Relative ? 1 : 0)
            || info.Limit is not { } limit || _window.Remaining is not { } remaining)
        {
            // A 429, or an answer about another window: nothing to learn about this window's use.
            return;
        }

        if (_answeredWindow != _window.Id)
        {
            (_answeredWindow, _answered) = (_window.Id, 0);
        }

        _answered++;
        var ours = _answered + InFlight;
        if (limit - remaining is var used && used > 0)
        {
            OwnShare = Math.Clamp(ours / (double)Math.Max(used, ours), 0.05, 1);
        }
    }

    private long SentIn(long window) => _sentWindow == window ? _sent : 0;

    private static long Usable(long limit, double share) => (long)Math.Floor(limit * share);

    private static DateTimeOffset Later(DateTimeOffset until, DateTimeOffset now) => until > now ? until : now + MinimumWait;
}
