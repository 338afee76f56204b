using System.ComponentModel.DataAnnotations;

namespace BrazeFunctions.Core.Pacing;

/// <summary>How the relay paces itself on Braze's rate limits and credential refusals (settings <c>Dispatch__*</c>).</summary>
internal sealed class PacingOptions
{
    /// <summary>Bound to the <c>Dispatch</c> section, like the coalescing and retry options: the setting names predate the split.</summary>
    public const string Section = "Dispatch";

    /// <summary>A 429 wait up to this long is waited out in place; a longer one re-enqueues the message with that delay.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ShortRateLimitWait { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Wait after a 429 that carried neither <c>X-RateLimit-Reset</c> nor <c>Retry-After</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RateLimitFallbackWait { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Largest random extra added to a rate-limit wait, so that waiting dispatches do not all fire at the reset instant.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RateLimitJitter { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Share of a workspace's rate-limit window the relay may use: it stops sending in a window once
    /// <c>X-RateLimit-Remaining</c> is at or below (1 - share) x <c>X-RateLimit-Limit</c>, leaving the rest to the
    /// customer's other integrations.
    /// </summary>
    [Range(0.01, 1.0)]
    public double RateLimitShare { get; set; } = 1.0;

    /// <summary>Requests one instance may have in flight per rate-limit family before Braze's first rate-limit headers arrive.</summary>
    [Range(1, 100)]
    public int InitialRequests { get; set; } = 1;

    /// <summary>
    /// Share the rate-limit state (a 429's hold, the window's request budget) with every instance through one small
    /// record per workspace and family in Azure Table Storage. Off, each instance paces on its own answers only.
    /// </summary>
    public bool SharedPacing { get; set; } = true;

    /// <summary>
    /// How long a workspace (401: its key) or an endpoint (403: the key's permission) is paused after Braze refused the
    /// credential; each further refusal doubles it up to <see cref="MaxCredentialPause"/>. Held messages wait (they are
    /// deferred) and end as <c>credential_rejected</c> once older than <c>Dispatch:MaxMessageAge</c>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CredentialPause { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest credential pause.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan MaxCredentialPause { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The table holding the shared pacing records (one entity per workspace and family).</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    public string SharedPacingTable { get; set; } = "relaypacing";

    /// <summary>How long an instance trusts its last read of the shared pacing record (at most about 4 reads/s per family).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan SharedStateCacheDuration { get; set; } = TimeSpan.FromMilliseconds(250);
}
