namespace BrazeFunctions.Core.Braze;

/// <summary>What the relay does with a request whose outcome nobody can know (a lost answer, a 500/502/504, a stale claim).</summary>
public enum AmbiguousOutcomePolicy
{
    /// <summary>Send it again: a repeat does no harm (bodies that only set attributes).</summary>
    Retry,

    /// <summary>Dead-letter it as <c>ambiguous_outcome</c> for an operator to check in Braze (counters, events, triggers).</summary>
    DeadLetter,
}
