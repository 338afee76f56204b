namespace BrazeFunctions.Core.Pacing;

/// <summary>Why a request may not go yet. Logs, metrics and the batcher's reports name these, never free text.</summary>
internal enum PaceReason
{
    /// <summary>Nothing holds it: the request was granted.</summary>
    None,

    /// <summary>Nothing is known about the bucket's window yet (or its length, after it ended): a few requests learn it first.</summary>
    FirstHeaders,

    /// <summary>A hold was cut short at <see cref="PacingOptions.MaxRateLimitHold"/>: one request goes first, the rest follow its answer.</summary>
    Probe,

    /// <summary>Near the window's reset: a request now might be counted in either window.</summary>
    WindowBoundary,

    /// <summary>The window's budget (the relay's share of it) is spent.</summary>
    Budget,

    /// <summary>The window's budget is released evenly over it; the next share comes at the next slot.</summary>
    Spread,

    /// <summary>The fleet's shared ledger has released nothing more yet, or another claim is under way.</summary>
    Ledger,

    /// <summary>Braze answered 429: the bucket is closed until the time it gave.</summary>
    RateLimited,

    /// <summary>Braze refused the key (401) or its permission for the endpoint (403): a credential pause.</summary>
    Credential,

    /// <summary>Earlier requests to the same bucket are waiting ahead of this one.</summary>
    Line,
}

/// <summary>How logs and metric tags name a <see cref="PaceReason"/>.</summary>
internal static class PaceReasons
{
    public static string NameOf(PaceReason reason) => reason switch
    {
        PaceReason.None => "none",
        PaceReason.FirstHeaders => "first_headers",
        PaceReason.Probe => "probe",
        PaceReason.WindowBoundary => "window_boundary",
        PaceReason.Budget => "budget",
        PaceReason.Spread => "spread",
        PaceReason.Ledger => "ledger",
        PaceReason.RateLimited => "rate_limit",
        PaceReason.Credential => "credential",
        _ => "line",
    };
}
