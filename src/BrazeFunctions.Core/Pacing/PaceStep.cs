namespace BrazeFunctions.Core.Pacing;

/// <summary>What the window model answers: grant the request, wait (until a time, or until something changes), or claim budget from the shared ledger first.</summary>
internal enum PaceStepKind
{
    Grant,
    Wait,
    Claim,
}

/// <summary>Permission to send one request, as the model gave it; the lease carries it back with Braze's answer.</summary>
/// <param name="Window">The window it was granted in (epoch seconds of Braze's reset; 0 before the first headers).</param>
/// <param name="FromLedger">Counted in the shared ledger already; probes and local-only sends are not.</param>
/// <param name="Probe">The one request that goes first after a hold cut short at <see cref="PacingOptions.MaxRateLimitHold"/>.</param>
/// <param name="SpendBy">The earliest its window can end on our clock; null before the window is known.</param>
internal sealed record PaceGrant(long Window, bool FromLedger, bool Probe, DateTimeOffset? SpendBy);

/// <summary>A claim on the shared ledger.</summary>
/// <param name="Window">The window claimed in (epoch seconds of Braze's reset).</param>
/// <param name="Want">Requests wanted: a chunk sized so that the fleet makes about four claims a second per bucket.</param>
/// <param name="Cap">The most the fleet may have been granted in the window by now (its spread so far).</param>
/// <param name="AlreadySpent">Requests this instance sent in that window without a grant; added first.</param>
/// <param name="CapIsTheWindow">The cap is the window's whole usable budget (not only the part released so far).</param>
/// <param name="NextSlot">When the spread releases the next share, to ask again if the fleet used this one.</param>
internal readonly record struct LedgerClaim(long Window, int Want, int Cap, int AlreadySpent, bool CapIsTheWindow, DateTimeOffset NextSlot);

/// <summary>How a ledger claim ended.</summary>
internal enum LedgerClaimStatus
{
    /// <summary>The claim was written: <see cref="LedgerClaimResult.Granted"/> is counted in the ledger.</summary>
    Written,

    /// <summary>Nothing to write: the window is spent, or another instance moved the ledger to a later window.</summary>
    Unchanged,

    /// <summary>Other instances won every conditional write: nothing was counted, so nothing is granted.</summary>
    Contended,

    /// <summary>The table failed: the pacer paces on its own answers for a while.</summary>
    Failed,
}

/// <summary>What a ledger claim got: the requests granted, and the window's grants across the fleet once it was written.</summary>
internal readonly record struct LedgerClaimResult(LedgerClaimStatus Status, int Granted, long FleetGranted);

/// <summary>One answer of the window model.</summary>
internal readonly record struct PaceStep(PaceStepKind Kind, PaceReason Reason, DateTimeOffset? Until, PaceGrant? Grant, LedgerClaim? Claim)
{
    public static PaceStep Granted(PaceGrant grant) => new(PaceStepKind.Grant, PaceReason.None, null, grant, null);

    /// <summary>Wait until <paramref name="until"/> (or until something changes, when null).</summary>
    public static PaceStep Wait(PaceReason reason, DateTimeOffset? until = null) => new(PaceStepKind.Wait, reason, until, null, null);

    public static PaceStep Claiming(LedgerClaim claim) => new(PaceStepKind.Claim, PaceReason.Ledger, null, null, claim);
}

/// <summary>What the model needs to know besides its state: the relay's share of the window and whether the ledger is in use.</summary>
internal readonly record struct PacePolicy(double Share, int InitialRequests, bool UseLedger);
