using System.Collections.Concurrent;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// Spends each Braze bucket's rate limit without discovering it by 429s, and alone answers "may this request go now, and
/// if not, until when and why". Each bucket of each workspace (host and key) has its own <see cref="WindowModel"/>, which
/// decides; this class locks it, feeds it the shared state, Braze's answers and the time, and acts on its answers:
/// grant a lease, claim from the shared ledger (<see cref="SharedPacingStore"/>), or wait. Waits longer than the caller
/// may wait (<see cref="PacingOptions.ShortRateLimitWait"/> by default) are returned at once as a refused lease with the
/// forecast of when the budget can send the request. Credential pauses come from <see cref="CredentialGate"/>; every
/// random spread from <see cref="PaceJitter"/>. When the shared table cannot be reached it paces on its own answers.
/// </summary>
internal sealed class RateLimitPacer(
    TimeProvider time, IOptions<PacingOptions> options, SharedPacingStore shared, CredentialGate credentials, PaceJitter jitter, RelayMetrics metrics, ILogger<RateLimitPacer> logger)
{
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(10);
    private readonly ConcurrentDictionary<PaceKey, PaceLane> _lanes = new();
    private readonly ConcurrentDictionary<string, BrazeClock> _clocks = new(StringComparer.Ordinal);

    /// <summary>The longest wait for budget served in place; a longer one becomes a deferral.</summary>
    public TimeSpan ShortWait => options.Value.ShortRateLimitWait;

    /// <summary>
    /// Budget for one request. Waits at most <paramref name="maxWait"/> (default <see cref="ShortWait"/>), counting a wait
    /// that began at <paramref name="waitingSince"/> (a timestamp of this pacer's <see cref="TimeProvider"/>, e.g. the
    /// caller's time in line); a longer wait is returned at once, as a lease that was not acquired.
    /// </summary>
    public async ValueTask<PaceLease> AcquireAsync(PaceRequest request, CancellationToken cancellationToken, long? waitingSince = null, TimeSpan? maxWait = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var attempt = new PaceAttempt(time, waitingSince, maxWait ?? ShortWait);
        var lane = LaneOf(request.Key);
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (attempt.Probe is null && await CredentialPauseAsync(request, attempt, cancellationToken).ConfigureAwait(false) is { } paused)
                {
                    return paused;
                }

                await ObserveSharedAsync(request.Key, lane, cancellationToken).ConfigureAwait(false);
                var (step, changed) = Decide(request, lane);
                switch (step.Kind)
                {
                    case PaceStepKind.Grant:
                        return Granted(request, step.Grant!, attempt);
                    case PaceStepKind.Claim:
                        await ClaimAsync(request.Key, lane, step.Claim!.Value, cancellationToken).ConfigureAwait(false);
                        continue;
                }

                if (await WaitOrRefuseAsync(request, lane, step, changed, attempt, cancellationToken).ConfigureAwait(false) is { } refused)
                {
                    return refused;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // A caller that gives up must not keep the probe slot of a credential pause.
            credentials.ReleaseProbe(attempt.Probe);
            throw;
        }
    }

    /// <summary>
    /// Where a request with <paramref name="ahead"/> requests of its bucket ahead of it stands: how long until its budget
    /// can send it, whether that is within <see cref="ShortWait"/>, and the deferral delay if it leaves instead.
    /// </summary>
    public PaceForecast Forecast(PaceRequest request, int ahead)
    {
        ArgumentNullException.ThrowIfNull(request);
        var wait = LaneOf(request.Key).Forecast(time.GetUtcNow(), ahead, ShareOf(request.Workspace));
        var paused = credentials.PausedFor(request.Workspace, request.Endpoint);
        var reason = paused > wait ? PaceReason.Credential : PaceReason.Line;
        wait = paused > wait ? paused : wait;
        return new PaceForecast(wait, wait <= ShortWait, jitter.Defer(wait), reason);
    }

    /// <summary>
    /// A request about to join its bucket's line behind <paramref name="ahead"/> others: null when the forecast says it
    /// can go within <see cref="ShortWait"/> (it waits in line); otherwise it leaves at once, with a lease that was not
    /// acquired and the forecast as its deferral delay, instead of first waiting out <see cref="ShortWait"/>.
    /// <paramref name="weight"/> is how much of one request it takes (see <see cref="LeaveLine"/>).
    /// </summary>
    public PaceLease? JoinLine(PaceRequest request, int ahead, double weight = 1)
    {
        var forecast = Forecast(request, ahead);
        return forecast.WithinShortWait ? null : Leave(request, ahead, weight, TimeSpan.Zero, forecast.Reason);
    }

    /// <summary>
    /// A request that waited <paramref name="waited"/> in line and is still <paramref name="ahead"/> places from the front
    /// leaves with the forecast for its place. Leavers are told to come back after the slots already promised to those
    /// that left before them, each booking <paramref name="weight"/> of a slot (its share of a full request).
    /// </summary>
    public PaceLease LeaveLine(PaceRequest request, int ahead, TimeSpan waited, double weight = 1) =>
        Leave(request, ahead, weight, waited, Forecast(request, ahead).Reason);

    /// <summary>Learns from Braze's answer to a request sent with <paramref name="lease"/>; says how long its budget is now closed, and whether to wait in place.</summary>
    internal async Task<PaceVerdict> CompleteAsync(PaceLease lease, BrazeResponse response, CancellationToken cancellationToken)
    {
        var request = lease.Request;
        var key = request.Key;
        var lane = LaneOf(key);
        var settings = options.Value;
        var hold = lane.Learn(lease.Grant!, response, time.GetUtcNow(), settings.RateLimitFallbackWait, settings.MaxRateLimitHold);
        if (hold is { } closed)
        {
            Log.RateLimited(logger, key.Workspace, response.Endpoint, key.BucketName, (closed.Until - time.GetUtcNow()).TotalMilliseconds, closed.Capped);
            if (shared.IsAvailable)
            {
                await shared.RaiseClosedUntilAsync(key.SharedRow, closed.Until, PaceReasons.NameOf(PaceReason.RateLimited), closed.Capped, settings.MaxRateLimitHold, cancellationToken).ConfigureAwait(false);
            }
        }

        await credentials.ObserveAsync(lease.CredentialProbe, request.Workspace, response, cancellationToken).ConfigureAwait(false);
        if (!lease.Grant!.FromLedger && shared.IsAvailable)
        {
            await ReportUnledgeredAsync(key, lane, cancellationToken).ConfigureAwait(false);
        }

        var now = time.GetUtcNow();
        var closedFor = response.StatusCode is 401 or 403 ? credentials.PausedFor(request.Workspace, request.Endpoint) : lane.ClosedFor(now);
        if (response.Kind == BrazeOutcomeKind.RateLimited)
        {
            // A hold shorter than the window's own exhaustion (Retry-After: 1 with Remaining: 0 until a later reset) would
            // bring the deferred copy back into a spent window, to be deferred again: wait for whichever opens last.
            var forecast = lane.Forecast(now, 0, ShareOf(request.Workspace));
            closedFor = forecast > closedFor ? forecast : closedFor;
        }

        return closedFor > TimeSpan.Zero ? new PaceVerdict(jitter.Defer(closedFor), closedFor <= ShortWait) : PaceVerdict.Open;
    }

    /// <summary>Gives back the budget of a lease whose request was never sent.</summary>
    internal void Release(PaceLease lease)
    {
        LaneOf(lease.Request.Key).Release(lease.Grant!);
        credentials.ReleaseProbe(lease.CredentialProbe);
    }

    internal bool HasPassed(DateTimeOffset? instant) => instant is { } at && time.GetUtcNow() >= at;

    private async ValueTask<PaceLease?> CredentialPauseAsync(PaceRequest request, PaceAttempt attempt, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (paused, probe) = await credentials.CheckAsync(request.Workspace, request.Endpoint, cancellationToken).ConfigureAwait(false);
            if (paused is not { } pause)
            {
                attempt.Probe = probe;
                return null;
            }

            if (pause > attempt.Left)
            {
                return Refuse(request, PaceReason.Credential, pause, attempt);
            }

            attempt.Waited = true;
            await Task.Delay(pause, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Feeds the model what other instances wrote: a closed-until further ahead than the longest hold is not believed.</summary>
    private async ValueTask ObserveSharedAsync(PaceKey key, PaceLane lane, CancellationToken cancellationToken)
    {
        if (!shared.IsAvailable || await shared.ReadAsync(key.SharedRow, cancellationToken).ConfigureAwait(false) is not { } record)
        {
            return;
        }

        var ahead = record.ClosedUntil - time.GetUtcNow();
        if (ahead > TimeSpan.Zero && ahead <= options.Value.MaxRateLimitHold)
        {
            lane.Close(record.ClosedUntil, PaceReason.RateLimited, record.ProbeFirst);
        }
    }

    private (PaceStep Step, Task Changed) Decide(PaceRequest request, PaceLane lane)
    {
        var key = request.Key;
        var policy = new PacePolicy(ShareOf(request.Workspace), options.Value.InitialRequests, shared.IsAvailable);
        var (step, remaining, inFlight, tokens, changed) = lane.Decide(time.GetUtcNow(), policy, jitter.Phase());
        if (step.Grant is { } grant)
        {
            Log.PacingGranted(logger, key.Workspace, key.BucketName, grant.Window, remaining, inFlight, grant.FromLedger, tokens);
        }

        return (step, changed);
    }

    /// <summary>Serves a wait in place, or refuses at once (with the forecast) when it is longer than the caller may wait.</summary>
    private async ValueTask<PaceLease?> WaitOrRefuseAsync(PaceRequest request, PaceLane lane, PaceStep step, Task changed, PaceAttempt attempt, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        TimeSpan? wait = step.Until is { } until ? (until > now ? until - now : MinimumWait) : null;
        var left = attempt.Left;
        if ((wait is { } known && known > left) || left <= TimeSpan.Zero)
        {
            // Known to be longer than the caller may wait: say so now, with when the budget can send it (after the
            // slots promised to requests that left before this one).
            var forecast = lane.ForecastLeaving(now, 0, ShareOf(request.Workspace), weight: 1);
            return Refuse(request, step.Reason, wait is { } w && w > forecast ? w : forecast, attempt);
        }

        attempt.Waited = true;
        if (!attempt.Logged)
        {
            attempt.Logged = true;
            Log.WaitingForBudget(logger, request.Key.Workspace, request.Key.BucketName, PaceReasons.NameOf(step.Reason), (wait ?? left).TotalMilliseconds);
        }

        // After a hold, the waiting requests are staggered so that they do not all fire at its end.
        var served = wait is { } hold && step.Reason is PaceReason.RateLimited ? jitter.Stagger(hold) : wait ?? left;
        await WaitAsync(changed, served < left ? served : left, cancellationToken).ConfigureAwait(false);
        return null;
    }

    private async Task ClaimAsync(PaceKey key, PaceLane lane, LedgerClaim claim, CancellationToken cancellationToken)
    {
        var result = new LedgerClaimResult(LedgerClaimStatus.Failed, 0, 0);
        try
        {
            result = await shared.ClaimAsync(key.SharedRow, claim, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Also when cancelled: a claim left "in progress" would hold every later request of the bucket.
            lane.ClaimEnded(claim, result, time.GetUtcNow(), jitter.AfterContention());
        }
    }

    /// <summary>
    /// Adds what this instance spent outside the ledger (probes before the window was known, sends while the shared record
    /// was unreachable) to the window's grants at once, so that other instances' claims count it.
    /// </summary>
    private async Task ReportUnledgeredAsync(PaceKey key, PaceLane lane, CancellationToken cancellationToken)
    {
        var (window, spent) = lane.Unledgered();
        if (spent <= 0)
        {
            return;
        }

        var result = await shared.ClaimAsync(key.SharedRow, new LedgerClaim(window, 0, int.MaxValue, spent, false, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        if (result.Status == LedgerClaimStatus.Written)
        {
            lane.Counted(window, spent);
        }
    }

    private PaceLease Granted(PaceRequest request, PaceGrant grant, PaceAttempt attempt)
    {
        if (attempt.Waited)
        {
            metrics.PacingWait(request.Key.Workspace, request.Key.BucketName, "waited", attempt.Elapsed);
        }

        return PaceLease.Acquired(this, request, grant, attempt.Probe);
    }

    private PaceLease Leave(PaceRequest request, int ahead, double weight, TimeSpan waited, PaceReason reason)
    {
        ArgumentNullException.ThrowIfNull(request);
        var wait = LaneOf(request.Key).ForecastLeaving(time.GetUtcNow(), ahead, ShareOf(request.Workspace), weight);
        var paused = credentials.PausedFor(request.Workspace, request.Endpoint);
        metrics.PacingWait(request.Key.Workspace, request.Key.BucketName, "deferred", waited);
        return PaceLease.Refused(request, jitter.Defer(paused > wait ? paused : wait), reason);
    }

    private PaceLease Refuse(PaceRequest request, PaceReason reason, TimeSpan wait, PaceAttempt attempt)
    {
        credentials.ReleaseProbe(attempt.Probe);
        metrics.PacingWait(request.Key.Workspace, request.Key.BucketName, "deferred", attempt.Elapsed);
        return PaceLease.Refused(request, jitter.Defer(wait), reason);
    }

    private async Task WaitAsync(Task changed, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(wait, time, stop.Token);
        await Task.WhenAny(changed, delay).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private double ShareOf(BrazeWorkspace workspace) => workspace.RateLimitShare ?? options.Value.RateLimitShare;

    /// <summary>The bucket's lane; buckets of one scope (host and key) share Braze's clock.</summary>
    private PaceLane LaneOf(PaceKey key) => _lanes.GetOrAdd(key, static (k, clocks) => new PaceLane(clocks.GetOrAdd(k.Scope, static _ => new BrazeClock())), _clocks);
}
