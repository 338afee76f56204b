using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>
/// Removes the claim-check's leftovers: bodies written for a webhook whose enqueue then failed (orphans, after a day), and
/// emptied bodies of ended messages once no copy of the message can still come back. Run by a timer function.
/// </summary>
public interface IMessageBodyCleanup
{
    Task<BodyCleanupResult> RunAsync(CancellationToken cancellationToken);
}

/// <inheritdoc cref="IMessageBodyCleanup"/>
internal sealed class MessageBodyCleanup(MessageBodyStore bodies, IOptions<DeliveryRetryOptions> retry) : IMessageBodyCleanup
{
    /// <summary>A body still pending after a day belongs to no message: its enqueue failed, and the ingress answered 503.</summary>
    public static readonly TimeSpan OrphanAge = TimeSpan.FromDays(1);

    /// <summary>A copy of a message lives at most its age limit plus the retry schedule: after that an ended marker has no reader.</summary>
    public Task<BodyCleanupResult> RunAsync(CancellationToken cancellationToken) =>
        bodies.CleanUpAsync(OrphanAge, retry.Value.MaxMessageAge + retry.Value.RetryScheduleSpan, cancellationToken);
}
