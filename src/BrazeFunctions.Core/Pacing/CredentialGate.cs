using System.Collections.Concurrent;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// Which credential a pause is about: the workspace's key (401), or its permission for one endpoint (403). The
/// workspace's name is for logs; the pause belongs to its <see cref="BrazeWorkspace.RateLimitScope"/> (host and key
/// fingerprint), which also names its shared row.
/// </summary>
internal readonly record struct CredentialScope(string Workspace, string Scope, string? Endpoint)
{
    public static CredentialScope Key(BrazeWorkspace workspace) => new(workspace.Name, workspace.RateLimitScope, null);

    public static CredentialScope Permission(BrazeWorkspace workspace, string endpoint) => new(workspace.Name, workspace.RateLimitScope, endpoint);

    /// <summary>The shared record's row: <c>credential-all</c> or <c>credential-users-track</c>, in the scope's partition.</summary>
    public SharedRow SharedRow => new(Scope, Endpoint is null ? "credential-all" : "credential-" + Endpoint.Trim('/').Replace('/', '-'));

    public override string ToString() => Endpoint is null ? $"the key of workspace {Workspace}" : $"workspace {Workspace}'s permission for {Endpoint}";
}

/// <summary>
/// Pauses a workspace when Braze refuses its key (401) and an endpoint when it refuses the key's permission for it (403):
/// a wrong or revoked key must hold the backlog, not burn it into the poison queue one message at a time. The pause
/// starts at <see cref="PacingOptions.CredentialPause"/> and doubles with each refusal up to
/// <see cref="PacingOptions.MaxCredentialPause"/>; it is shared with every instance through the shared pacing table
/// (a shared pause further ahead than that is not believed). When it ends, one probe request goes first; the held
/// messages follow only once Braze accepted the key again.
/// </summary>
internal sealed class CredentialGate(TimeProvider time, IOptions<PacingOptions> options, SharedPacingStore shared, RelayMetrics metrics, ILogger<CredentialGate> logger)
{
    private static readonly TimeSpan ProbePoll = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan CredentialReadInterval = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<CredentialScope, State> _states = new();

    /// <summary>
    /// Null when a request to <paramref name="endpoint"/> may go (as the probe of a pause that just ended when
    /// <c>Probe</c> is set); otherwise how long to wait before asking again.
    /// </summary>
    public async ValueTask<(TimeSpan? Wait, CredentialScope? Probe)> CheckAsync(BrazeWorkspace workspace, string endpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        foreach (var scope in new[] { CredentialScope.Key(workspace), CredentialScope.Permission(workspace, endpoint) })
        {
            // Credential pauses last minutes: a few seconds' lag is harmless and keeps these reads well under the bucket's.
            var sharedRecord = shared.IsAvailable ? await shared.ReadAsync(scope.SharedRow, cancellationToken, CredentialReadInterval).ConfigureAwait(false) : null;
            if (sharedRecord is not null && sharedRecord.ClosedUntil - time.GetUtcNow() > options.Value.MaxCredentialPause)
            {
                sharedRecord = null; // Longer than any pause this relay sets: not believed.
            }

            if (!_states.TryGetValue(scope, out var state) && (sharedRecord is null || sharedRecord.ClosedUntil <= time.GetUtcNow()))
            {
                continue;
            }

            state ??= _states.GetOrAdd(scope, static _ => new State());
            lock (state)
            {
                if (sharedRecord is not null && sharedRecord.ClosedUntil > state.PausedUntil)
                {
                    // Another instance was refused: hold here too, and probe before releasing.
                    state.PausedUntil = sharedRecord.ClosedUntil;
                    state.NeedsProbe = true;
                }

                var now = time.GetUtcNow();
                if (now < state.PausedUntil)
                {
                    return (state.PausedUntil - now, null);
                }

                if (state.NeedsProbe)
                {
                    if (state.ProbeInFlight)
                    {
                        return (ProbePoll, null);
                    }

                    state.ProbeInFlight = true;
                    return (null, scope);
                }
            }
        }

        return (null, null);
    }

    /// <summary>How long requests to <paramref name="endpoint"/> of <paramref name="workspace"/> are paused; zero when they are not.</summary>
    public TimeSpan PausedFor(BrazeWorkspace workspace, string endpoint)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var now = time.GetUtcNow();
        var longest = TimeSpan.Zero;
        foreach (var scope in new[] { CredentialScope.Key(workspace), CredentialScope.Permission(workspace, endpoint) })
        {
            if (_states.TryGetValue(scope, out var state))
            {
                lock (state)
                {
                    if (state.PausedUntil - now > longest)
                    {
                        longest = state.PausedUntil - now;
                    }
                }
            }
        }

        return longest;
    }

    /// <summary>Learns from an answer: a 401 or 403 (re)starts a pause; any other answer to a probe ends it.</summary>
    public async Task ObserveAsync(CredentialScope? probe, BrazeWorkspace workspace, BrazeResponse response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(response);
        CredentialScope? refused = response.StatusCode switch
        {
            401 => CredentialScope.Key(workspace),
            403 => CredentialScope.Permission(workspace, response.Endpoint),
            _ => null,
        };

        if (refused is { } scope)
        {
            var state = _states.GetOrAdd(scope, static _ => new State());
            TimeSpan pause;
            DateTimeOffset until;
            lock (state)
            {
                state.Strikes++;
                var settings = options.Value;
                var grown = settings.CredentialPause * Math.Pow(2, Math.Min(state.Strikes - 1, 20));
                pause = grown < settings.MaxCredentialPause ? grown : settings.MaxCredentialPause;
                until = time.GetUtcNow() + pause;
                if (until > state.PausedUntil)
                {
                    state.PausedUntil = until;
                }

                state.NeedsProbe = true;
                state.ProbeInFlight = false;
            }

            metrics.CredentialRejected(workspace.Name, response.Endpoint, response.StatusCode);
            Log.CredentialRejected(logger, workspace.Name, response.Endpoint, response.StatusCode, scope.ToString(), pause.TotalMinutes);
            if (shared.IsAvailable)
            {
                var reason = "credential_" + response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await shared.RaiseClosedUntilAsync(scope.SharedRow, until, reason, probeFirst: true, options.Value.MaxCredentialPause, cancellationToken).ConfigureAwait(false);
            }
        }

        if (probe is { } probed && probed != refused && _states.TryGetValue(probed, out var probedState))
        {
            lock (probedState)
            {
                probedState.ProbeInFlight = false;
                if (!response.IsTransportFailure && probedState.NeedsProbe)
                {
                    // Braze answered without refusing this credential: the held messages may go.
                    probedState.NeedsProbe = false;
                    probedState.Strikes = 0;
                    Log.CredentialAccepted(logger, probed.ToString());
                }
            }
        }
    }

    /// <summary>Frees the probe slot of a request that was never sent.</summary>
    public void ReleaseProbe(CredentialScope? probe)
    {
        if (probe is { } scope && _states.TryGetValue(scope, out var state))
        {
            lock (state)
            {
                state.ProbeInFlight = false;
            }
        }
    }

    private sealed class State
    {
        public DateTimeOffset PausedUntil;
        public int Strikes;
        public bool NeedsProbe;
        public bool ProbeInFlight;
    }
}
