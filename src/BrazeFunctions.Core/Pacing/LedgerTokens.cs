namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// This instance's view of the fleet's shared ledger for one bucket: the requests it claimed and has not used yet, what
/// it sent outside the ledger (probes, sends while the table was unreachable), and when to ask the ledger again. Not
/// thread-safe: the window model's owner locks it.
/// </summary>
internal sealed class LedgerTokens
{
    private int _tokens;
    private long _tokensWindow;
    private int _unledgered;
    private long _unledgeredWindow;
    private long _claimed;
    private long _claimedWindow;

    /// <summary>The ledger said this window is spent for the whole fleet.</summary>
    public long SpentWindow { get; set; }

    public bool ClaimInProgress { get; set; }

    /// <summary>The ledger has nothing more released until then (or a contended write is tried again then).</summary>
    public DateTimeOffset BusyUntil { get; set; }

    /// <summary>Requests sent outside the ledger in <see cref="UnledgeredWindow"/>, to be added to its count.</summary>
    public int Unledgered => _unledgered;

    public long UnledgeredWindow => _unledgeredWindow;

    /// <summary>
    /// What a claim's end means here: what was written is counted, what was granted in the current window becomes tokens,
    /// a lost race asks again after the backoff, a spent window waits for the next, and a window whose released share the
    /// fleet used asks again at the next slot. Returns this instance's share of the window's grants when it changed.
    /// </summary>
    public double? Ended(LedgerClaim claim, LedgerClaimResult result, DateTimeOffset now, TimeSpan contentionBackoff, long currentWindow)
    {
        ClaimInProgress = false;
        if (result.Status == LedgerClaimStatus.Written)
        {
            Counted(claim.Window, claim.AlreadySpent);
        }

        if (result.Granted > 0 && claim.Window == currentWindow)
        {
            Add(claim.Window, result.Granted);
            return Math.Clamp(ClaimedIn(claim.Window) / (double)Math.Max(result.FleetGranted, result.Granted), 0.05, 1);
        }

        if (result.Status == LedgerClaimStatus.Contended)
        {
            BusyUntil = now + contentionBackoff;
        }
        else if (result.Status != LedgerClaimStatus.Failed && claim.CapIsTheWindow)
        {
            SpentWindow = claim.Window;
        }
        else if (result.Status != LedgerClaimStatus.Failed)
        {
            BusyUntil = claim.NextSlot;
        }

        return null;
    }

    public int Tokens(long window) => _tokensWindow == window ? _tokens : 0;

    public bool TryTake(long window)
    {
        if (_tokensWindow != window || _tokens <= 0)
        {
            return false;
        }

        _tokens--;
        return true;
    }

    /// <summary>A granted request that was never sent gives its token back (the ledger still counts it: the fleet errs short).</summary>
    public void GiveBack(long window)
    {
        if (_tokensWindow == window)
        {
            _tokens++;
        }
    }

    public void Add(long window, int granted)
    {
        if (_tokensWindow != window)
        {
            (_tokensWindow, _tokens) = (window, 0);
        }

        if (_claimedWindow != window)
        {
            (_claimedWindow, _claimed) = (window, 0);
        }

        _tokens += granted;
        _claimed += granted;
    }

    /// <summary>Requests this instance claimed in <paramref name="window"/>.</summary>
    public long ClaimedIn(long window) => _claimedWindow == window ? _claimed : 0;

    public int UnledgeredIn(long window) => _unledgeredWindow == window ? _unledgered : 0;

    public void CountUnledgered(long window)
    {
        if (window > _unledgeredWindow)
        {
            (_unledgeredWindow, _unledgered) = (window, 0);
        }

        if (window == _unledgeredWindow)
        {
            _unledgered++;
        }
    }

    /// <summary>The ledger counted <paramref name="spent"/> of the requests sent outside it in <paramref name="window"/>.</summary>
    public void Counted(long window, int spent)
    {
        if (_unledgeredWindow == window)
        {
            _unledgered = Math.Max(0, _unledgered - spent);
        }
    }
}
