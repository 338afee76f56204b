using System.ComponentModel.DataAnnotations;
using System.Globalization;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Delivery;

/// <summary>How a delivery is retried: in place, then on the relay's schedule, and how long a message may wait (settings <c>Dispatch__*</c>).</summary>
internal sealed class DeliveryRetryOptions
{
    /// <summary>Bound to the <c>Dispatch</c> section, like the pacing and coalescing options: the setting names predate the split.</summary>
    public const string Section = "Dispatch";

    /// <summary>host.json's <c>extensions.queues.maxDequeueCount</c>.</summary>
    public const int HostMaxDequeueCount = 10;

    /// <summary>Quick retries inside one function run after a 5xx, 408, timeout or connection failure (or a short 429 wait).</summary>
    [Range(0, 10)]
    public int InPlaceRetries { get; set; } = 3;

    /// <summary>Base delay of the in-place retries (exponential, jittered).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan InPlaceRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

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
    /// A message dequeued this many times (earlier runs crashed, ran out of memory or timed out) is dead-lettered as
    /// <c>crash_loop</c> without sending. Kept below host.json's <c>maxDequeueCount</c> (10), so that the relay, not the
    /// host, ends it, with a reason.
    /// </summary>
    [Range(2, HostMaxDequeueCount - 1)]
    public int MaxDequeueCount { get; set; } = 5;

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

            if (delay > QueueMessageLimits.MaxVisibilityDelay)
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
internal sealed class DeliveryRetryOptionsValidator(IOptions<OutboxOptions> outbox, IConfiguration? configuration = null) : IValidateOptions<DeliveryRetryOptions>
{
    /// <summary>The app setting that overrides host.json's maxDequeueCount (AzureFunctionsJobHost__extensions__queues__maxDequeueCount).</summary>
    internal const string HostMaxDequeueCountSetting = "AzureFunctionsJobHost:extensions:queues:maxDequeueCount";

    public ValidateOptionsResult Validate(string? name, DeliveryRetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (configuration?[HostMaxDequeueCountSetting] is { } hostSetting
            && int.TryParse(hostSetting, NumberStyles.Integer, CultureInfo.InvariantCulture, out var hostLimit) && options.MaxDequeueCount >= hostLimit)
        {
            return ValidateOptionsResult.Fail(
                $"Dispatch:MaxDequeueCount ({options.MaxDequeueCount}) must stay below the host's maxDequeueCount ({hostLimit}, from AzureFunctionsJobHost__extensions__queues__maxDequeueCount), or crash-looping messages reach the poison queue without a reason.");
        }

        if (!DeliveryRetryOptions.ParseSchedule(options.RetrySchedule, out var delays, out var error))
        {
            return ValidateOptionsResult.Fail(error!);
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
