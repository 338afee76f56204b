using System.ComponentModel.DataAnnotations;
using System.Globalization;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>How the dispatcher retries and defers (section <c>Dispatch</c>).</summary>
public sealed class DispatchOptions
{
    public const string Section = "Dispatch";

    /// <summary>Azure Storage refuses a visibility delay above 7 days.</summary>
    public static readonly TimeSpan MaxVisibilityDelay = TimeSpan.FromDays(7);

    /// <summary>Quick retries inside one function run after a 5xx, 408, timeout or connection failure (or a short 429 wait).</summary>
    [Range(0, 10)]
    public int InPlaceRetries { get; set; } = 3;

    /// <summary>Base delay of the in-place retries (exponential, jittered).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan InPlaceRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

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
    /// The relay's own retry schedule after the in-place retries failed: the n-th re-enqueue waits the n-th delay;
    /// after the last one the message is dead-lettered. Comma-separated, units s, m, h, d (<c>Dispatch__RetrySchedule</c>).
    /// </summary>
    [Required]
    public string RetrySchedule { get; set; } = "10s,1m,5m,30m,2h,6h";

    /// <summary>Up to this fraction of a scheduled delay is added at random, spreading a burst of failures.</summary>
    [Range(0.0, 1.0)]
    public double RetryScheduleJitter { get; set; } = 0.2;

    /// <summary>
    /// A message still rate-limited this long after it was received is dead-lettered (<c>expired</c>) instead of being
    /// deferred again; rate-limit deferrals do not consume the retry schedule.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan MaxMessageAge { get; set; } = TimeSpan.FromDays(2);

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
    /// Extra requests one refused merged request may spend to find its bad message (splitting in halves); what is still
    /// unresolved after that is re-queued to be sent alone.
    /// </summary>
    [Range(0, 64)]
    public int MaxSplitRequests { get; set; } = 8;

    /// <summary>
    /// Share the rate-limit state (a 429's hold, the window's request budget) with every instance through one small
    /// record per workspace and family in Azure Table Storage. Off, each instance paces on its own answers only.
    /// </summary>
    public bool SharedPacing { get; set; } = true;

    /// <summary>
    /// How long a workspace (401: its key) or an endpoint (403: the key's permission) is paused after Braze refused the
    /// credential; each further refusal doubles it up to <see cref="MaxCredentialPause"/>. Held messages wait (they are
    /// deferred) and end as <c>credential_rejected</c> once older than <see cref="MaxMessageAge"/>.
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

    /// <summary>
    /// A message dequeued this many times (earlier runs crashed, ran out of memory or timed out) is dead-lettered as
    /// <c>crash_loop</c> without sending. Kept below host.json's <c>maxDequeueCount</c> (10), so that the relay, not the
    /// host, ends it, with a reason.
    /// </summary>
    [Range(2, HostMaxDequeueCount - 1)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>host.json's <c>extensions.queues.maxDequeueCount</c>.</summary>
    public const int HostMaxDequeueCount = 10;

    /// <summary>The parsed <see cref="RetrySchedule"/>.</summary>
    public IReadOnlyList<TimeSpan> RetryDelays => ParseSchedule(RetrySchedule, out var delays, out _) ? delays : [];

    /// <summary>The longest time the whole retry schedule can take, jitter included.</summary>
    public TimeSpan RetryScheduleSpan => RetryDelays.Aggregate(TimeSpan.Zero, (sum, d) => sum + (d * (1 + RetryScheduleJitter)));

    internal static bool ParseSchedule(string? text, out IReadOnlyList<TimeSpan> delays, out string? error)
    {
        var list = new List<TimeSpan>();
        delays = list;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!TryParseDuration(part, out var delay) || delay <= TimeSpan.Zero)
            {
                error = $"Dispatch:RetrySchedule item '{part}' is not a positive duration such as 10s, 5m, 2h or 1d.";
                return false;
            }

            if (delay > MaxVisibilityDelay)
            {
                error = $"Dispatch:RetrySchedule item '{part}' exceeds the 7-day visibility delay Azure Storage allows.";
                return false;
            }

            list.Add(delay);
        }

        return true;
    }

    private static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        if (text.Length < 2 || !double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
        }

        switch (char.ToLowerInvariant(text[^1]))
        {
            case 's': value = TimeSpan.FromSeconds(number); return true;
            case 'm': value = TimeSpan.FromMinutes(number); return true;
            case 'h': value = TimeSpan.FromHours(number); return true;
            case 'd': value = TimeSpan.FromDays(number); return true;
            default: return false;
        }
    }
}

/// <summary>Rules that span settings: the schedule parses, and queued messages outlive it.</summary>
internal sealed class DispatchOptionsValidator(IOptions<OutboxOptions> outbox, IConfiguration? configuration = null) : IValidateOptions<DispatchOptions>
{
    /// <summary>The app setting that overrides host.json's maxDequeueCount (AzureFunctionsJobHost__extensions__queues__maxDequeueCount).</summary>
    internal const string HostMaxDequeueCountSetting = "AzureFunctionsJobHost:extensions:queues:maxDequeueCount";

    public ValidateOptionsResult Validate(string? name, DispatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (configuration?[HostMaxDequeueCountSetting] is { } hostSetting
            && int.TryParse(hostSetting, NumberStyles.Integer, CultureInfo.InvariantCulture, out var hostLimit) && options.MaxDequeueCount >= hostLimit)
        {
            return ValidateOptionsResult.Fail(
                $"Dispatch:MaxDequeueCount ({options.MaxDequeueCount}) must stay below the host's maxDequeueCount ({hostLimit}, from AzureFunctionsJobHost__extensions__queues__maxDequeueCount), or crash-looping messages reach the poison queue without a reason.");
        }

        if (!DispatchOptions.ParseSchedule(options.RetrySchedule, out var delays, out var error))
        {
            return ValidateOptionsResult.Fail(error!);
        }

        if (options.ShortRateLimitWait < options.BatchLinger)
        {
            return ValidateOptionsResult.Fail(
                $"Dispatch:ShortRateLimitWait ({options.ShortRateLimitWait}) must be at least Dispatch:BatchLinger ({options.BatchLinger}).");
        }

        var ttl = outbox.Value.MessageTimeToLive;
        var total = options.RetryScheduleSpan;
        if (ttl != TimeSpan.FromSeconds(-1) && ttl <= total)
        {
            return ValidateOptionsResult.Fail(
                $"Outbox:MessageTimeToLive ({ttl}) must outlive Dispatch:RetrySchedule ({total} with jitter), or a message could expire while it waits for its next attempt.");
        }

        return ValidateOptionsResult.Success;
    }
}
