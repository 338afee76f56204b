using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Templates;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>How a replay treats the dead letters it selected.</summary>
/// <param name="DryRun">List what would be replayed; change nothing.</param>
/// <param name="IncludeAmbiguous">Also replay dead letters whose outcome at Braze is unknown (<c>ambiguous_outcome</c>), overriding their delivery claim.</param>
/// <param name="Force">Replay dead letters whose recorded workspace differs from the one their route's template names now.</param>
public sealed record ReplayOptions(bool DryRun = false, bool IncludeAmbiguous = false, bool Force = false);

/// <summary>
/// How long the idempotency records of a message's life are kept (<paramref name="RecordsDroppedAfter"/>, from the time
/// that life started), and how long after a replay its copy may still make its first claim (<paramref name="CopyLifetime"/>:
/// <c>Dispatch:MaxMessageAge</c>). A replayed copy checks those records once, at its first claim.
/// </summary>
internal sealed record ReplayHorizon(Func<DateTimeOffset, DateTimeOffset> RecordsDroppedAfter, TimeSpan CopyLifetime);

/// <summary>What to do with one selected dead letter: replay this envelope, or skip it for this reason.</summary>
internal sealed record ReplayDecision(WebhookEnvelope? Envelope, string? Problem, bool Ambiguous)
{
    public static ReplayDecision Skip(string problem, bool ambiguous = false) => new(null, problem, ambiguous);
}

/// <summary>
/// The rules a replay applies to each selected dead letter, in order: it needs a readable envelope; an ambiguous outcome
/// (or a reason nobody can read, which might be one) needs <see cref="ReplayOptions.IncludeAmbiguous"/>; its route needs a
/// template; its recorded workspace must match the template's current one unless <see cref="ReplayOptions.Force"/>; and its
/// idempotency records must still be there when the replayed copy claims, unless <see cref="ReplayOptions.Force"/> (without
/// them nothing stops resending a twin that was already delivered). The replayed envelope starts a fresh expiry clock
/// (<see cref="WebhookEnvelope.ReplayedAt"/>), keeps its original <see cref="WebhookEnvelope.ReceivedAt"/>, names where its
/// earlier records are (<see cref="WebhookEnvelope.PriorRecordsAt"/>), inherits no claim and starts again at attempt 0.
/// </summary>
internal static class DeadLetterReplayRules
{
    /// <summary>Decides one dead letter; <paramref name="workspaceOf"/> gives the workspace a route's template names now (null: no template).</summary>
    public static ReplayDecision Decide(PoisonEntry entry, ReplayOptions options, Func<string, string?> workspaceOf, DateTimeOffset now, ReplayHorizon? horizon = null)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(workspaceOf);
        if (entry.Envelope is not { } envelope)
        {
            return ReplayDecision.Skip(entry.Problem ?? "no readable envelope");
        }

        var reasonUnreadable = entry.Kind == PoisonKind.DeadLetter && entry.Reason is null;
        var ambiguous = reasonUnreadable || string.Equals(entry.Reason?.Code, DeadLetterCodes.AmbiguousOutcome, StringComparison.Ordinal);
        if (ambiguous && !options.IncludeAmbiguous)
        {
            return ReplayDecision.Skip(
                (reasonUnreadable ? $"its reason cannot be read ({entry.Problem}), so Braze may already have applied it" : "its outcome at Braze is unknown (ambiguous_outcome): Braze may already have applied it")
                + "; check in Braze, then replay it with --include-ambiguous (a counter may count twice)",
                ambiguous: true);
        }

        if (workspaceOf(envelope.Route) is not { } current)
        {
            return ReplayDecision.Skip($"route '{envelope.Route}' has no template now, so it would be dead-lettered again");
        }

        // A dead letter written before workspaces existed went to the default one; a bare host copy has no record at all.
        var recorded = entry.Reason is { } reason ? reason.Workspace ?? WebhookTemplate.DefaultWorkspace : null;
        if (recorded is not null && !string.Equals(recorded, current, StringComparison.Ordinal) && !options.Force)
        {
            return ReplayDecision.Skip(
                $"it was dead-lettered for workspace '{recorded}', but route '{envelope.Route}' now sends to workspace '{current}'; replay it with --force to send it to '{current}'");
        }

        if (horizon is not null && !options.Force && horizon.RecordsDroppedAfter(envelope.AgeClockStart) is var dropped && dropped < now + horizon.CopyLifetime)
        {
            return ReplayDecision.Skip(
                $"its idempotency records (from {envelope.AgeClockStart:u}) are dropped after {dropped:u}, before a replayed copy could claim its delivery " +
                $"(up to {horizon.CopyLifetime} after the replay), so nothing would stop it repeating a delivery that already happened; " +
                "check in Braze, then replay it with --force (or keep records longer: Idempotency__Window)", ambiguous);
        }

        return new ReplayDecision(
            envelope with { Attempt = 0, ReplayedAt = now, PriorRecordsAt = envelope.AgeClockStart, OverrideClaim = ambiguous, ClaimToken = null }, null, ambiguous);
    }
}
