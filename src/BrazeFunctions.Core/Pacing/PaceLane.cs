using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// One bucket's <see cref="WindowModel"/> on this instance behind its lock, with Braze's clock for its scope and the
/// signal that wakes the requests waiting on it. Every call takes the lock for one step of the model; nothing here
/// decides anything the model does not.
/// </summary>
internal sealed class PaceLane(BrazeClock clock)
{
    private readonly object _gate = new();
    private readonly WindowModel _model = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The model's answer, what it looked like when it answered (for the grant's log line), and the signal to wait on.</summary>
    public (PaceStep Step, long? Remaining, int InFlight, int Tokens, Task Changed) Decide(DateTimeOffset now, PacePolicy policy, double phase)
    {
        lock (_gate)
        {
            var step = _model.Decide(now, clock, policy, phase);
            var tokens = step.Grant is { } grant ? _model.Ledger.Tokens(grant.Window) : 0;
            return (step, _model.Window.Remaining, _model.InFlight, tokens, _changed.Task);
        }
    }

    public TimeSpan Forecast(DateTimeOffset now, int ahead, double share)
    {
        lock (_gate)
        {
            return _model.Forecast(now, ahead, clock, share);
        }
    }

    public TimeSpan ForecastLeaving(DateTimeOffset now, int ahead, double share, double weight)
    {
        lock (_gate)
        {
            return _model.ForecastLeaving(now, ahead, clock, share, weight);
        }
    }

    public void Close(DateTimeOffset until, PaceReason reason, bool probeFirst)
    {
        lock (_gate)
        {
            _model.Close(until, reason, probeFirst);
        }
    }

    public TimeSpan ClosedFor(DateTimeOffset now)
    {
        lock (_gate)
        {
            return _model.ClosedFor(now);
        }
    }

    public Hold? Learn(PaceGrant grant, BrazeResponse response, DateTimeOffset now, TimeSpan fallback, TimeSpan maxHold)
    {
        lock (_gate)
        {
            var hold = _model.Learn(grant, response, now, clock, fallback, maxHold);
            Signal();
            return hold;
        }
    }

    public void Release(PaceGrant grant)
    {
        lock (_gate)
        {
            _model.Release(grant);
            Signal();
        }
    }

    public void ClaimEnded(LedgerClaim claim, LedgerClaimResult result, DateTimeOffset now, TimeSpan contentionBackoff)
    {
        lock (_gate)
        {
            _model.ClaimEnded(claim, result, now, contentionBackoff);
            Signal();
        }
    }

    /// <summary>Requests sent outside the ledger, to be added to the window's count.</summary>
    public (long Window, int Count) Unledgered()
    {
        lock (_gate)
        {
            return (_model.Ledger.UnledgeredWindow, _model.Ledger.Unledgered);
        }
    }

    public void Counted(long window, int spent)
    {
        lock (_gate)
        {
            _model.Ledger.Counted(window, spent);
        }
    }

    private void Signal()
    {
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }
}

/// <summary>One call for budget: its wait so far (a wait that began before the call counts), and the credential probe it holds.</summary>
internal sealed class PaceAttempt(TimeProvider time, long? waitingSince, TimeSpan maxWait)
{
    private readonly long _started = waitingSince ?? time.GetTimestamp();

    public bool Waited { get; set; } = waitingSince is not null && time.GetElapsedTime(waitingSince.Value) > TimeSpan.Zero;

    public bool Logged { get; set; }

    public CredentialScope? Probe { get; set; }

    public TimeSpan Elapsed => time.GetElapsedTime(_started);

    public TimeSpan Left => maxWait - Elapsed;
}
