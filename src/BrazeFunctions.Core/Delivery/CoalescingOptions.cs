using System.ComponentModel.DataAnnotations;
using BrazeFunctions.Core.Pacing;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Delivery;

/// <summary>How requests are merged into one Braze call (settings <c>Dispatch__*</c>).</summary>
internal sealed class CoalescingOptions
{
    /// <summary>Bound to the <c>Dispatch</c> section, like the pacing and retry options: the setting names predate the split.</summary>
    public const string Section = "Dispatch";

    /// <summary>
    /// How long a request waits for company before it is sent: requests to the same endpoint arriving meanwhile are merged
    /// into one Braze call. Zero turns coalescing off (every message is sent alone, at once).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:05")]
    public TimeSpan BatchLinger { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Largest merged request body in bytes; Braze refuses bodies over 4 MB.</summary>
    [Range(1_024, 4_000_000)]
    public int MaxRequestBytes { get; set; } = 3 * 1024 * 1024;

    /// <summary>
    /// Extra requests one refused merged request may spend to find its bad message (splitting in halves); what is still
    /// unresolved after that is re-queued to be sent alone.
    /// </summary>
    [Range(0, 64)]
    public int MaxSplitRequests { get; set; } = 8;
}

/// <summary>A batch that lingers for company must still be able to wait for budget afterwards.</summary>
internal sealed class CoalescingOptionsValidator(IOptions<PacingOptions> pacing) : IValidateOptions<CoalescingOptions>
{
    public ValidateOptionsResult Validate(string? name, CoalescingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var wait = pacing.Value.ShortRateLimitWait;
        return wait < options.BatchLinger
            ? ValidateOptionsResult.Fail($"Dispatch:ShortRateLimitWait ({wait}) must be at least Dispatch:BatchLinger ({options.BatchLinger}).")
            : ValidateOptionsResult.Success;
    }
}
