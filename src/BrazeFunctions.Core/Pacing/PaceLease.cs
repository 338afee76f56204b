using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// The pacer's answer to one request for budget, shaped like <c>System.Threading.RateLimiting</c>'s lease: acquired or
/// not; when not, how long until the budget can send it (<see cref="RetryAfter"/>, jittered) and why. An acquired lease
/// is completed with Braze's answer (<see cref="CompleteAsync"/>), which teaches the pacer; disposing a lease that was
/// never completed gives its budget back.
/// </summary>
internal sealed class PaceLease : IDisposable
{
    private readonly RateLimitPacer? _pacer;
    private int _settled;

    private PaceLease(RateLimitPacer? pacer, PaceRequest request, PaceGrant? grant, CredentialScope? credentialProbe, TimeSpan retryAfter, PaceReason reason)
    {
        _pacer = pacer;
        Request = request;
        Grant = grant;
        CredentialProbe = credentialProbe;
        RetryAfter = retryAfter;
        Reason = reason;
        _settled = grant is null ? 1 : 0;
    }

    public PaceRequest Request { get; }

    /// <summary>True when the request may be sent now.</summary>
    public bool IsAcquired => Grant is not null;

    /// <summary>When not acquired: how long until the budget can send the request (jittered). Zero when acquired.</summary>
    public TimeSpan RetryAfter { get; }

    /// <summary>Why it was not acquired; <see cref="PaceReason.None"/> when it was.</summary>
    public PaceReason Reason { get; }

    internal PaceGrant? Grant { get; }

    /// <summary>Set when this request is the probe that ends a credential pause.</summary>
    internal CredentialScope? CredentialProbe { get; }

    /// <summary>True once the lease was completed with an answer or given back (a refused lease is settled from the start).</summary>
    internal bool IsSettled => Volatile.Read(ref _settled) == 1;

    /// <summary>True when the window it was granted in may have ended: sent now, it could be counted in the next window, which budgeted it no room.</summary>
    public bool IsStale => Grant is not null && _pacer is not null && _pacer.HasPassed(Grant.SpendBy);

    internal static PaceLease Acquired(RateLimitPacer pacer, PaceRequest request, PaceGrant grant, CredentialScope? credentialProbe) =>
        new(pacer, request, grant, credentialProbe, TimeSpan.Zero, PaceReason.None);

    internal static PaceLease Refused(PaceRequest request, TimeSpan retryAfter, PaceReason reason) =>
        new(null, request, null, null, retryAfter, reason);

    /// <summary>
    /// Reports Braze's answer to the request sent with this lease: how long the request's budget is now closed (the bucket
    /// after a 429, the credential after a 401 or 403), and whether that wait is short enough to serve in place.
    /// </summary>
    public Task<PaceVerdict> CompleteAsync(BrazeResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        return TrySettle() ? _pacer!.CompleteAsync(this, response, cancellationToken) : Task.FromResult(PaceVerdict.Open);
    }

    /// <summary>Gives the budget back when the request was never sent; does nothing after <see cref="CompleteAsync"/>.</summary>
    public void Dispose()
    {
        if (TrySettle())
        {
            _pacer!.Release(this);
        }
    }

    private bool TrySettle() => Interlocked.Exchange(ref _settled, 1) == 0;
}

/// <summary>What the pacer made of Braze's answer to a leased request.</summary>
/// <param name="ClosedFor">How long the request's budget is now closed (jittered as a deferral); zero when it is open.</param>
/// <param name="WaitInPlace">The wait is within <see cref="PacingOptions.ShortRateLimitWait"/>: ask again in place rather than defer.</param>
internal readonly record struct PaceVerdict(TimeSpan ClosedFor, bool WaitInPlace)
{
    public static PaceVerdict Open { get; } = new(TimeSpan.Zero, WaitInPlace: true);
}

/// <summary>Where a request stands in its bucket's line, as the pacer forecasts it.</summary>
/// <param name="Wait">How long until the budget can send it (no jitter).</param>
/// <param name="WithinShortWait">It can go within <see cref="PacingOptions.ShortRateLimitWait"/>: worth waiting for in place.</param>
/// <param name="RetryAfter">The deferral delay when it leaves instead: the wait, jittered.</param>
/// <param name="Reason">What it waits for: <see cref="PaceReason.Credential"/> during a credential pause, else its place in <see cref="PaceReason.Line"/>.</param>
internal readonly record struct PaceForecast(TimeSpan Wait, bool WithinShortWait, TimeSpan RetryAfter, PaceReason Reason);
