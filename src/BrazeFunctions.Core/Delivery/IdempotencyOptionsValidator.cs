using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Idempotency;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Delivery;

/// <summary>The window must outlive every copy of a message; the lease must outlive the host's lease plus one request.</summary>
internal sealed class IdempotencyOptionsValidator(IOptions<DeliveryRetryOptions> retry, IOptions<BrazeOptions> braze) : IValidateOptions<IdempotencyOptions>
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

        var lease = IdempotencyOptions.HostMessageLease + braze.Value.RequestTimeout;
        if (options.ClaimLease <= lease)
        {
            failures.Add($"Idempotency:ClaimLease ({options.ClaimLease}) must be longer than the host's 10-minute message lease plus Braze:RequestTimeout ({lease}), or a live sender's claim could be taken over.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
