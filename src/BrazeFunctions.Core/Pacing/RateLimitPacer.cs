using System.Collections.Concurrent;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Pacing;

/// <summary>Permission to send one request; hand it back with <see cref="RateLimitPacer.CompleteAsync"/> or <see cref="RateLimitPacer.Abandon"/>.</summary>
internal sealed class PaceTicket(PaceKey key, bool fromLedger, CredentialScope? credentialProbe = null, DateTimeOffset? spendBy = null)
{
    /// <summary>
    /// The earliest the window it was granted in can end (on our clock); a request sent later may be counted in the next
    /// window, which budgeted it no room. Null for probes before the window is known.
    /// </summary>
    public DateTimeOffset? SpendBy { get; } = spendBy;

    /// <summary>Set when this request is the probe that ends a credential pause.</summary>
    public CredentialScope? CredentialProbe { get; } = credentialProbe;

    public PaceKey Key { get; } = key;

    /// <summary>Granted from the shared ledger (counted there already); probes and local-only sends are not.</summary>
    public bool FromLedger { get; } = fromLedger;

    internal int Settled;
}

/// <summary>A ticket, or how long the budget stays closed when that is longer than the caller may wait.</summary>
internal readonly record struct PaceDecision(PaceTicket? Ticket, TimeSpan Hold, string? HoldReason);

/// <summary>
/// Spends a workspace's Braze rate limit without discovering it by 429s. Each answer's <c>X-RateLimit-*</c> headers describe
/// the whole workspace (every instance and every other integration), so the pacer learns the window (its reset on Braze's
/// clock, placed on ours by <see cref="BrazeClock"/>; its length from consecutive resets), the limit and what remains.
/// It sends while Remaining stays above (1 - <see cref="PacingOptions.RateLimitShare"/>) x Limit, counting its own
/// requests in flight; before the first headers it allows <see cref="PacingOptions.InitialRequests"/> in flight. A 429,
/// 401 or 403 closes the budget until the time Braze gave (or the credential pause).
/// Across instances it shares, through <see cref="SharedPacingStore"/>, closed-until and the number of requests granted
/// in the current window, claimed in chunks: the fleet never spends more than the relay's share of a window, and one
/// instance's 429 holds the others. When the shared record cannot be reached it paces on its own answers alone.
/// </summary>
internal sealed class RateLimitPacer
{
    /// <summary>Claims on the shared record stay under about four per second per family, whatever the burst.</summary>
    private const double TargetClaimsPerSecond = 4;

    private readonly ConcurrentDictionary<PaceKey, Lane> _lanes = new();
    private readonly ConcurrentDictionary<string, BrazeClock> _clocks = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly IOptions<PacingOptions> _options;
    private readonly BrazeWorkspaces _workspaces;
    private readonly SharedPacingStore _shared;
    private readonly CredentialGate _credentials;
    private readonly IRandomSource _random;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<RateLimitPacer> _logger;

    public RateLimitPacer(
        TimeProvider time, IOptions<PacingOptions> options, BrazeWorkspaces workspaces, SharedPacingStore shared, CredentialGate credentials,
        IRandomSource random, RelayMetrics metrics, ILogger<RateLimitPacer> logger)
    {
        _credentials = credentials;
        _time = time;
        _options = options;
        _workspaces = workspaces;
        _shared = shared;
        _random = random;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>
    /// Waits for budget for one request to <paramref name="endpoint"/>, at most <paramref name="maxWait"/>; a longer hold
    /// is returned instead of waited. <paramref name="waitingSince"/> (a timestamp of this pacer's <see cref="TimeProvider"/>)
    /// counts a wait that began before this call, e.g. for the caller's turn: it is part of <paramref name="maxWait"/> and
    /// of the recorded wait.
    /// </summary>
    public async ValueTask<PaceDecision> AcquireAsync(PaceKey key, string endpoint, TimeSpan maxWait, CancellationToken cancellationToken, long? waitingSince = null)
    {
        var holder = new ProbeHolder();
        try
        {
            return await AcquireCoreAsync(key, endpoint, maxWait, holder, waitingSince, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A caller that gives up must not keep the probe slot of a credential pause.
            _credentials.ReleaseProbe(holder.Probe);
            throw;
        }
    }

    private async ValueTask<PaceDecision> AcquireCoreAsync(PaceKey key, string endpoint, TimeSpan maxWait, ProbeHolder holder, long? waitingSince, CancellationToken cancellationToken)
    {
        var lane = _lanes.GetOrAdd(key, static _ => new Lane());
        var clock = ClockOf(key.Workspace);
        var started = waitingSince ?? _time.GetTimestamp();
        var waited = waitingSince is not null && _time.GetElapsedTime(started) > TimeSpan.Zero;
        var logged = false;
        CredentialScope? probe = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (probe is null)
            {
                var (credentialWait, credentialProbe) = await _credentials.CheckAsync(key.Workspace, endpoint, cancellationToken).ConfigureAwait(false);
                if (credentialWait is { } paused)
                {
                    var waitedSoFar = _time.GetElapsedTime(started);
                    if (paused > maxWait - waitedSoFar)
                    {
                        _metrics.PacingWait(key.Workspace, key.Family, "deferred", waitedSoFar);
                        return new PaceDecision(null, paused, "credential");
                    }

                    waited = true;
                    await Task.Delay(paused, _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                probe = credentialProbe;
                holder.Probe = probe;
            }

            var sharedRecord = _shared.IsAvailable ? await _shared.ReadAsync(key, cancellationToken).ConfigureAwait(false) : null;
            var useLedger = _shared.IsAvailable;
            Task changed;
            TimeSpan? wait;
            string reason;
            (long Window, int Want, int Cap, int AlreadySpent, bool CapIsTheWindow, DateTimeOffset NextSlot)? claim = null;
            lock (lane)
            {
                var now = _time.GetUtcNow();
                changed = lane.Changed.Task;
                var closedUntil = lane.ClosedUntil;
                reason = lane.ClosedReason ?? "rate_limit";
                if (sharedRecord is not null && sharedRecord.ClosedUntil > closedUntil)
                {
                    closedUntil = sharedRecord.ClosedUntil;
                    reason = sharedRecord.ClosedReason ?? "rate_limit";
                }

                if (now < closedUntil)
                {
                    wait = closedUntil - now + (_options.Value.RateLimitJitter * _random.NextDouble());
                }
                else if (lane.Limit is not { } limit || !lane.RollWindow(now, clock))
                {
                    // Nothing known about the window yet: a few probes learn it.
                    reason = "first_headers";
                    if (lane.InFlight < _options.Value.InitialRequests)
                    {
                        return Grant(lane, key, waited, started, fromLedger: false, probe);
                    }

                    wait = null;
                }
                else
                {
                    var usable = (long)Math.Floor(limit * ShareOf(key.Workspace));
                    var threshold = limit - usable;
                    var reset = DateTimeOffset.FromUnixTimeSeconds(lane.Window);
                    var nextOpens = clock.Latest(reset);
                    if (lane.PhaseWindow != lane.Window)
                    {
                        lane.PhaseWindow = lane.Window;
                        lane.Phase = _random.NextDouble();
                    }

                    var (allowedByNow, nextSlot) = Spread(lane, usable, nextOpens, clock.Earliest(reset), now);
                    reason = "budget";
                    var guardBand = nextOpens - clock.Earliest(reset);
                    if (now >= clock.Earliest(reset) && (lane.WindowSeconds is not { } seconds || guardBand < TimeSpan.FromSeconds(seconds) / 2))
                    {
                        // The guard band around the reset: a request now might be counted in either window.
                        reason = "window_boundary";
                        wait = nextOpens > now ? nextOpens - now : TimeSpan.FromMilliseconds(10);
                    }
                    else if ((lane.Remaining ?? limit) - threshold - lane.InFlight <= 0 || (useLedger && lane.LedgerSpentWindow == lane.Window))
                    {
                        wait = nextOpens > now ? nextOpens - now : TimeSpan.FromMilliseconds(10);
                    }
                    else if ((lane.SentWindow == lane.Window ? lane.SentThisWindow : 0) >= allowedByNow || (useLedger && lane.LedgerBusyUntil > now))
                    {
                        // Spread over the window: the next share of its budget is released at the next slot.
                        reason = "spread";
                        var until = lane.LedgerBusyUntil > now ? lane.LedgerBusyUntil : nextSlot;
                        wait = until > now ? until - now : TimeSpan.FromMilliseconds(10);
                    }
                    else if (!useLedger || (lane.TokensWindow == lane.Window && lane.Tokens > 0))
                    {
                        if (useLedger)
                        {
                            lane.Tokens--;
                        }

                        return Grant(lane, key, waited, started, fromLedger: useLedger, probe, spendBy: clock.Earliest(reset));
                    }
                    else if (lane.ClaimInProgress)
                    {
                        wait = null;
                    }
                    else
                    {
                        lane.ClaimInProgress = true;
                        var windowSeconds = Math.Max(1, lane.WindowSeconds ?? 1);
                        var chunk = (int)Math.Clamp(Math.Ceiling(usable / (windowSeconds * TargetClaimsPerSecond)), 1, int.MaxValue);
                        claim = (lane.Window, chunk, (int)Math.Min(allowedByNow, int.MaxValue), lane.UnledgeredWindow == lane.Window ? lane.Unledgered : 0,
                            allowedByNow >= usable, nextSlot);
                        wait = TimeSpan.Zero;
                    }
                }
            }

            if (claim is { } c)
            {
                var granted = await ClaimAsync(key, c.Window, c.Want, c.Cap, c.AlreadySpent, cancellationToken).ConfigureAwait(false);
                lock (lane)
                {
                    lane.ClaimInProgress = false;
                    if (granted is not null && lane.UnledgeredWindow == c.Window)
                    {
                        lane.Unledgered -= c.AlreadySpent;
                    }

                    if (granted is > 0 && c.Window == lane.Window)
                    {
                        lane.Tokens = (lane.TokensWindow == c.Window ? lane.Tokens : 0) + granted.Value;
                        lane.TokensWindow = c.Window;
                    }
                    else if (granted == 0 && c.CapIsTheWindow)
                    {
                        lane.LedgerSpentWindow = c.Window;
                    }
                    else if (granted == 0)
                    {
                        // The fleet used what is released so far: ask again when the next share is.
                        lane.LedgerBusyUntil = c.NextSlot;
                    }

                    lane.Signal();
                }

                continue;
            }

            var elapsed = _time.GetElapsedTime(started);
            var left = maxWait - elapsed;
            if (wait is { } w && w > left)
            {
                // Known to be longer than the caller may wait: say so now instead of waiting part of it.
                _credentials.ReleaseProbe(probe);
                _metrics.PacingWait(key.Workspace, key.Family, "deferred", elapsed);
                return new PaceDecision(null, w, reason);
            }

            if (left <= TimeSpan.Zero)
            {
                _credentials.ReleaseProbe(probe);
                _metrics.PacingWait(key.Workspace, key.Family, "deferred", elapsed);
                return new PaceDecision(null, _options.Value.RateLimitFallbackWait, reason);
            }

            waited = true;
            if (!logged)
            {
                logged = true;
                Log.WaitingForBudget(_logger, key.Workspace, key.Family, reason, (wait ?? left).TotalMilliseconds);
            }

            await WaitAsync(changed, wait ?? left, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Learns from Braze's answer to a request sent with <paramref name="ticket"/>; a 429 closes the budget here and for every instance.</summary>
    public async Task CompleteAsync(PaceTicket ticket, BrazeResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        ArgumentNullException.ThrowIfNull(response);
        if (Interlocked.Exchange(ref ticket.Settled, 1) == 1)
        {
            return;
        }

        var key = ticket.Key;
        var lane = _lanes.GetOrAdd(key, static _ => new Lane());
        var clock = ClockOf(key.Workspace);
        DateTimeOffset? closeUntil = null;
        lock (lane)
        {
            lane.InFlight--;
            clock.Observe(response.SentAt, response.ReceivedAt, response.RateLimit.ServerDate);
            // A 429's reset says when to try again, which need not be a window boundary: only other answers teach the length.
            lane.Learn(response.RateLimit, learnLength: response.Kind != BrazeOutcomeKind.RateLimited);
            if (!ticket.FromLedger && response.RateLimit.Reset is { } spentIn)
            {
                // A probe or a local-only send spent budget the ledger does not know of: the next claim in that window adds it.
                lane.CountUnledgered(spentIn.ToUnixTimeSeconds());
            }

            if (response.Kind == BrazeOutcomeKind.RateLimited)
            {
                var now = _time.GetUtcNow();
                var hold = response.RateLimit.Reset is { } reset
                    ? clock.Latest(reset) - now
                    : response.RateLimit.WaitAfterRateLimit(now, _options.Value.RateLimitFallbackWait);
                if (response.RateLimit.RetryAfter is { } retryAfter && retryAfter > hold)
                {
                    hold = retryAfter;
                }

                closeUntil = now + (hold > TimeSpan.Zero ? hold : TimeSpan.Zero);
                lane.Close(closeUntil.Value, "rate_limit");
                Log.RateLimited(_logger, key.Workspace, response.Endpoint, key.Family, hold.TotalMilliseconds);
            }

            lane.Signal();
        }

        if (closeUntil is { } until && _shared.IsAvailable)
        {
            await _shared.RaiseClosedUntilAsync(key, until, "rate_limit", cancellationToken).ConfigureAwait(false);
        }

        await _credentials.ObserveAsync(ticket.CredentialProbe, key.Workspace, response, cancellationToken).ConfigureAwait(false);

        if (!ticket.FromLedger && _shared.IsAvailable)
        {
            await ReportUnledgeredAsync(key, lane, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Adds what this instance spent outside the ledger (probes before the window was known, sends while the shared record
    /// was unreachable) to the window's grants at once, so that other instances' claims count it.
    /// </summary>
    private async Task ReportUnledgeredAsync(PaceKey key, Lane lane, CancellationToken cancellationToken)
    {
        long window;
        int spent;
        lock (lane)
        {
            (window, spent) = (lane.UnledgeredWindow, lane.Unledgered);
        }

        if (spent <= 0 || await _shared.ClaimAsync(key, window, 0, int.MaxValue, spent, cancellationToken).ConfigureAwait(false) is null)
        {
            return;
        }

        lock (lane)
        {
            if (lane.UnledgeredWindow == window)
            {
                lane.Unledgered -= spent;
            }
        }
    }

    /// <summary>The window <paramref name="ticket"/> was granted in may have ended: sending with it now could overspend the next one.</summary>
    public bool IsStale(PaceTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        return ticket.SpendBy is { } by && _time.GetUtcNow() >= by;
    }

    /// <summary>Gives back a ticket whose request was never sent.</summary>
    public void Abandon(PaceTicket ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        if (Interlocked.Exchange(ref ticket.Settled, 1) == 1)
        {
            return;
        }

        _credentials.ReleaseProbe(ticket.CredentialProbe);
        var lane = _lanes.GetOrAdd(ticket.Key, static _ => new Lane());
        lock (lane)
        {
            lane.InFlight--;
            lane.Signal();
        }
    }

    /// <summary>How long requests to <paramref name="endpoint"/> of <paramref name="workspace"/> are paused because Braze refused the credential.</summary>
    public TimeSpan CredentialPausedFor(string workspace, string endpoint) => _credentials.PausedFor(workspace, endpoint);

    /// <summary>How long the budget is closed on this instance (429 or credential pause); zero when open.</summary>
    public TimeSpan ClosedFor(PaceKey key)
    {
        if (!_lanes.TryGetValue(key, out var lane))
        {
            return TimeSpan.Zero;
        }

        lock (lane)
        {
            var left = lane.ClosedUntil - _time.GetUtcNow();
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>
    /// How many of the window's requests may have gone by now when the budget is spread evenly over the window (all of it
    /// while the window's length is unknown), and when the next one is released. Spreading keeps a burst from spending the
    /// window in its first instants: requests leave at a steady pace, each carrying what gathered since the last one, and
    /// the customer's other integrations keep a share of every part of the window. The slots start at a random phase each
    /// window, so that requests (and Braze's whole-second Date headers) fall at every fraction of a second: that is what
    /// tightens <see cref="BrazeClock"/>'s bounds and narrows the guard band around each reset.
    /// </summary>
    private static (long Allowed, DateTimeOffset NextSlot) Spread(Lane lane, long usable, DateTimeOffset windowEnds, DateTimeOffset windowCloses, DateTimeOffset now)
    {
        if (lane.WindowSeconds is not { } seconds || usable <= 0)
        {
            return (usable, now);
        }

        // The slots fill the part of the window before its guard band, so that none falls where no request may go.
        var length = TimeSpan.FromSeconds(seconds);
        var opened = windowEnds - length;
        var span = windowCloses - opened;
        if (span < length / 4)
        {
            span = length / 4;
        }

        var fraction = Math.Clamp((now - opened) / span, 0, 1);
        // Slots at phase/usable, (1 + phase)/usable... of that span; the epsilon keeps a slot's own instant inside it.
        var allowed = Math.Clamp((long)Math.Floor((usable * fraction) - lane.Phase + 1e-9) + 1, 0, usable);
        var sent = lane.SentWindow == lane.Window ? lane.SentThisWindow : 0;
        return (allowed, opened + (span * ((Math.Max(sent, allowed) + lane.Phase) / usable)));
    }

    private PaceDecision Grant(Lane lane, PaceKey key, bool waited, long started, bool fromLedger, CredentialScope? probe, DateTimeOffset? spendBy = null)
    {
        lane.InFlight++;
        if (lane.SentWindow != lane.Window)
        {
            lane.SentWindow = lane.Window;
            lane.SentThisWindow = 0;
        }

        lane.SentThisWindow++;
        Log.PacingGranted(_logger, key.Workspace, key.Family, lane.Window, lane.Remaining, lane.InFlight, fromLedger, lane.Tokens);
        if (waited)
        {
            _metrics.PacingWait(key.Workspace, key.Family, "waited", _time.GetElapsedTime(started));
        }

        return new PaceDecision(new PaceTicket(key, fromLedger, probe, spendBy), TimeSpan.Zero, null);
    }

    private Task<int?> ClaimAsync(PaceKey key, long window, int want, int cap, int alreadySpent, CancellationToken cancellationToken) =>
        _shared.ClaimAsync(key, window, want, cap, alreadySpent, cancellationToken);

    private async Task WaitAsync(Task changed, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(wait, _time, stop.Token);
        await Task.WhenAny(changed, delay).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private double ShareOf(string workspace) =>
        _workspaces.TryGet(workspace, out var configured) && configured.RateLimitShare is { } share ? share : _options.Value.RateLimitShare;

    private BrazeClock ClockOf(string workspace) => _clocks.GetOrAdd(workspace, static _ => new BrazeClock());

    private sealed class ProbeHolder
    {
        public CredentialScope? Probe;
    }

    /// <summary>One budget's state on this instance. Guarded by locking the lane itself.</summary>
    private sealed class Lane
    {
        public long? Limit;

        /// <summary>The current window, named by Braze's reset (epoch seconds); 0 before the first headers.</summary>
        public long Window;

        /// <summary>The latest reset any answer carried.</summary>
        public long LatestReset;

        /// <summary>The latest reset of an answer that was not a 429, to learn the window length from consecutive ones.</summary>
        public long LengthReset;

        public long? WindowSeconds;

        /// <summary>Lowest Remaining seen in <see cref="Window"/>; null when no answer of this window arrived yet.</summary>
        public long? Remaining;

        public int InFlight;
        public DateTimeOffset ClosedUntil;
        public string? ClosedReason;
        public int Tokens;
        public long TokensWindow;
        public long LedgerSpentWindow;
        public bool ClaimInProgress;

        /// <summary>Requests this instance sent in <see cref="SentWindow"/>.</summary>
        public long SentThisWindow;
        public long SentWindow;

        /// <summary>Where in its slot the window's spread starts (0 to 1), drawn per window.</summary>
        public double Phase;
        public long PhaseWindow;

        /// <summary>The shared ledger had nothing more released for the window until then.</summary>
        public DateTimeOffset LedgerBusyUntil;

        /// <summary>Requests answered in <see cref="UnledgeredWindow"/> that no ledger grant covered.</summary>
        public int Unledgered;
        public long UnledgeredWindow;
        public TaskCompletionSource Changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Signal()
        {
            var previous = Changed;
            Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            previous.TrySetResult();
        }

        public void CountUnledgered(long window)
        {
            if (window > UnledgeredWindow)
            {
                UnledgeredWindow = window;
                Unledgered = 0;
            }

            if (window == UnledgeredWindow)
            {
                Unledgered++;
            }
        }

        public void Close(DateTimeOffset until, string reason)
        {
            if (until > ClosedUntil)
            {
                ClosedUntil = until;
                ClosedReason = reason;
            }
        }

        public void Learn(RateLimitInfo info, bool learnLength)
        {
            if (!info.HasWindow)
            {
                return;
            }

            Limit = info.Limit;
            var reset = info.Reset!.Value.ToUnixTimeSeconds();
            if (learnLength && LengthReset > 0 && reset > LengthReset)
            {
                // Windows are fixed: any two resets differ by a whole number of lengths, so their greatest common divisor
                // converges on the length, whatever idle spells lay between the answers.
                var gap = reset - LengthReset;
                WindowSeconds = WindowSeconds is { } known ? Gcd(known, gap) : gap;
            }

            if (learnLength && reset > LengthReset)
            {
                LengthReset = reset;
            }

            if (reset > LatestReset)
            {
                // Newer than anything Braze said before: this is the current window, whatever was predicted.
                LatestReset = reset;
                Window = reset;
                Remaining = info.Remaining;
            }
            else if (reset == Window)
            {
                Remaining = Remaining is { } seen ? Math.Min(seen, info.Remaining!.Value) : info.Remaining;
            }

            // An answer from an earlier window says nothing about the current one.
        }

        private static long Gcd(long a, long b)
        {
            while (b != 0)
            {
                (a, b) = (b, a % b);
            }

            return a;
        }

        /// <summary>
        /// Moves to the window that has begun since the last answer, predicted from the learned length (its budget is
        /// then assumed whole until an answer says otherwise). False when the window is over and its length is unknown.
        /// </summary>
        public bool RollWindow(DateTimeOffset now, BrazeClock clock)
        {
            if (Window == 0)
            {
                return false;
            }

            var ends = clock.Latest(DateTimeOffset.FromUnixTimeSeconds(Window));
            if (now < ends)
            {
                return true;
            }

            if (WindowSeconds is not { } length)
            {
                return false;
            }

            var behind = (long)Math.Floor((now - ends).TotalSeconds / length) + 1;
            Window += behind * length;
            Remaining = null;
            return true;
        }
    }
}
