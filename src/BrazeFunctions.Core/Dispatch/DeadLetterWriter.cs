using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>
/// The one writer of dead letters: envelope plus reason on the poison queue, never expiring. A reason too large for a
/// queue message is shortened; an envelope too large for any reason goes bare (the host's shape) and the log keeps the reason.
/// </summary>
internal sealed class DeadLetterWriter(RelayQueues queues, RelayMetrics metrics, ILogger<DeadLetterWriter> logger)
{
    /// <summary>Dead letters leave the poison queue by replay or by an operator, never by a timer.</summary>
    public static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    public async Task WriteAsync(DeadLetterReason reason, WebhookEnvelope? envelope, string? rawMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var bytes = DeadLetterCodec.Serialize(reason, envelope, rawMessage);
        if (bytes.Length > QueueMessageLimits.MaxBytesBeforeBase64)
        {
            bytes = DeadLetterCodec.Serialize(reason with { BrazeMessage = null, Detail = Shorten(reason.Detail) }, envelope, rawMessage);
        }

        if (bytes.Length > QueueMessageLimits.MaxBytesBeforeBase64 && envelope is not null)
        {
            Log.DeadLetterTooLarge(logger, reason.MessageId, reason.Code);
            bytes = EnvelopeCodec.Serialize(envelope);
        }

        await queues.Poison.SendAsync(new BinaryData(bytes), null, NeverExpires, cancellationToken).ConfigureAwait(false);
        metrics.DeadLettered(reason.Route, reason.Code, reason.Workspace);
        Log.DeadLettered(logger, reason.MessageId, reason.Route, reason.Code, reason.Status, reason.Endpoint, reason.Attempt, reason.CorrelationId, reason.Workspace);
    }

    private static string? Shorten(string? text) => text is { Length: > 200 } ? text[..200] + "..." : text;
}
