using System.ComponentModel.DataAnnotations;

namespace BrazeFunctions.Core.Storage;

/// <summary>Where webhooks are queued: the storage connection, the queue names and the message lifetime.</summary>
public sealed class OutboxOptions : IValidatableObject
{
    /// <summary>Storage's value for a message that never expires.</summary>
    public static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    public const string Section = "Outbox";
    public const string DefaultQueueName = "braze-outbox";

    /// <summary>Name of the connection setting, as the queue trigger's <c>Connection</c> uses it.</summary>
    [Required]
    public string Connection { get; set; } = "AzureWebJobsStorage";

    /// <summary>Outbox queue. The queue trigger reads the same setting through <c>%Outbox:QueueName%</c>.</summary>
    [Required]
    [RegularExpression("^[a-z0-9](?!.*--)[a-z0-9-]{1,54}[a-z0-9]$", ErrorMessage = "Outbox:QueueName must be a valid Azure queue name of at most 56 characters (the poison queue adds '-poison').")]
    public string QueueName { get; set; } = DefaultQueueName;

    /// <summary>
    /// How long an undelivered message lives on the outbox: -1 s (the default) means never. The relay ends every message
    /// itself (delivered, aborted or dead-lettered with a reason), so a message that expires while the app or its trigger is
    /// down would be lost without a trace.
    /// </summary>
    public TimeSpan MessageTimeToLive { get; set; } = NeverExpires;

    /// <summary>Retries the storage client makes itself before the ingress gives up and answers 503.</summary>
    [Range(0, 5)]
    public int StorageMaxRetries { get; set; } = 2;

    /// <summary>Per-try network timeout of the storage client; keeps the ingress well inside Braze's 90 s webhook timeout.</summary>
    public TimeSpan StorageNetworkTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Per-try timeout of the writes that end a dispatch run: deferral copies and dead letters. Short on purpose: when such a
    /// write fails the run fails, and the host only retries the message after host.json's <c>visibilityTimeout</c>, so a
    /// storage hiccup should cost seconds, not three tries of <see cref="StorageNetworkTimeout"/>. Not shorter than 5 s: under
    /// the real host on one Azurite, 2-second tries failed 29 runs of a 3,000-webhook burst whose writes were merely slow.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30")]
    public TimeSpan EndingWriteTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The most connections the relay's storage clients open to one storage endpoint (0: no limit). Without a limit, a
    /// burst opens one connection per concurrent request; under the real host on one Azurite that left hundreds of
    /// connects waiting in its accept queue, and writes timed out before they were even sent.
    /// </summary>
    [Range(0, 10_000)]
    public int StorageMaxConnections { get; set; } = 64;

    /// <summary>Retries of those writes after the first try.</summary>
    [Range(0, 5)]
    public int EndingWriteRetries { get; set; } = 1;

    /// <summary>
    /// The blob container of webhook bodies too large for a queue message (the claim-check): written before the 202, read
    /// by the dispatcher, emptied once the message has ended. The Bicep creates it and grants the app's identity access to
    /// it alone.
    /// </summary>
    [Required]
    [RegularExpression("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", ErrorMessage = "Outbox:BodyContainer must be a valid blob container name.")]
    public string BodyContainer { get; set; } = DefaultBodyContainer;

    public const string DefaultBodyContainer = "braze-outbox-bodies";

    /// <summary>The dead-letter queue: the same queue the Functions host moves poison messages to.</summary>
    public string PoisonQueueName => QueueName + "-poison";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MessageTimeToLive != NeverExpires && MessageTimeToLive < TimeSpan.FromSeconds(1))
        {
            yield return new ValidationResult(
                $"Outbox:MessageTimeToLive ({MessageTimeToLive}) must be -1 seconds (\"-00:00:01\", never expires, the default) or at least one second.",
                [nameof(MessageTimeToLive)]);
        }
    }
}
