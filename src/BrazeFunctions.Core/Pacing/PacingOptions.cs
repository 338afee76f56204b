using System.ComponentModel.DataAnnotations;

namespace BrazeFunctions.Core.Pacing;

/// <summary>How the relay paces itself on Braze's rate limits and credential refusals (settings <c>Dispatch__*</c>).</summary>
internal sealed class PacingOptions
{
    /// <summary>Bound to the <c>Dispatch</c> section, like the coalescing and retry options: the setting names predate the split.</summary>
    public const string Section = "Dispatch";

    /// <summary>
    /// A wait for budget up to this long is served in place; a longer one re-enqueues the message with that delay. It
    /// should cover what the fleet holds in flight: at host.json's 32 + 225 per instance and 75 objects a request, two
    /// instances hold 514 messages, 6.9 s of a 3-per-3-s budget; with 5 s half of the messages they had taken in left
    /// for a deferral and came back in pieces (see docs/dispatch.md).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan ShortRateLimitWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Wait after a 429 that carried no readable retry wait and no readable <c>X-RateLimit-Reset</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RateLimitFallbackWait { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// The longest any one answer may hold a bucket: a 429's wait is cut to it (and one probe request then goes first, as
    /// after a credential pause), a <c>X-RateLimit-Reset</c> further than this past the answer's <c>Date</c> is ignored, and
    /// readers of the shared table ignore a closed-until or a window further ahead. It must cover the longest window the
    /// relay paces (an hour for Braze's hourly buckets): a reset beyond it leaves that bucket without a known window.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaxRateLimitHold { get; set; } = TimeSpan.FromHours(1);

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

    /// <summary>Requests one instance may have in flight per rate-limit bucket before Braze's first rate-limit headers arrive.</summary>
    [Range(1, 100)]
    public int InitialRequests { get; set; } = 1;

    /// <summary>
    /// Share the rate-limit state (a 429's hold, the window's request budget) with every instance through one small
    /// record per workspace and bucket in Azure Table Storage. Off, each instance paces on its own answers only.
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

    /// <summary>The table holding the shared pacing records (one entity per REST host, API key fingerprint and bucket).</summary>
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    public string SharedPacingTable { get; set; } = "relaypacing";

    /// <summary>How long an instance trusts its last read of the shared pacing record (at most about 4 reads/s per bucket).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10")]
    public TimeSpan SharedStateCacheDuration { get; set; } = TimeSpan.FromMilliseconds(250);
}
