using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Pacing;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Delivery;

/// <summary>The window must outlive every copy of a message; the lease must outlive the longest time a live sender goes without writing its claim.</summary>
internal sealed class IdempotencyOptionsValidator(
    IOptions<DeliveryRetryOptions> retry, IOptions<BrazeOptions> braze, IOptions<PacingOptions> pacing, IOptions<OutboxOptions> outbox) : IValidateOptions<IdempotencyOptions>
{
    public ValidateOptionsResult Validate(string? name, IdempotencyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var needed = retry.Value.MaxMessageAge + retry.Value.RetryScheduleSpan;
        if (options.Window < needed)
        {
            failures.Add($"Idempotency:Window ({options.Window}) must be at least Dispatch:MaxMessageAge plus the retry schedule with jitter ({needed}), or a late copy of a message would no longer find its delivery record.");
        }

        var hold = LongestHold(braze.Value, pacing.Value, outbox.Value);
        if (options.ClaimLease <= hold)
        {
            failures.Add($"Idempotency:ClaimLease ({options.ClaimLease}) must be longer than the longest time a live sender goes without writing its claim ({hold}: " +
                "three waits of Dispatch:ShortRateLimitWait, one Braze:RequestTimeout and two storage writes of Outbox:StorageMaxRetries + 1 tries of Outbox:StorageNetworkTimeout), " +
                "or a live sender's claim could be taken for a dead one.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// The longest a live sender holds a claim between two writes of it. A claim is written (or refreshed, before every
    /// resend) just before its request; until the next write come at most: a new budget wait when the ticket went stale,
    /// the request (one timeout bounds the send and the body), the in-place retry's delay (at most the short wait), the
    /// next request's budget wait, and the storage writes on either side.
    /// </summary>
    internal static TimeSpan LongestHold(BrazeOptions braze, PacingOptions pacing, OutboxOptions outbox)
    {
        ArgumentNullException.ThrowIfNull(braze);
        ArgumentNullException.ThrowIfNull(pacing);
        ArgumentNullException.ThrowIfNull(outbox);
        var storageWrite = outbox.StorageNetworkTimeout * (outbox.StorageMaxRetries + 1);
        return (pacing.ShortRateLimitWait * 3) + braze.RequestTimeout + (storageWrite * 2);
    }
}
