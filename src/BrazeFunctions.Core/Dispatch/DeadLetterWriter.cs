using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>Why a message is dead-lettered, as the dispatcher knows it: the reason code, what explains it, and where it was going.</summary>
/// <param name="Code">One of <see cref="DeadLetterCodes"/>.</param>
/// <param name="Detail">What an operator needs to act: the render error, the transport failure, Braze's error types.</param>
internal sealed record DeadLetterCause(string Code, string? Detail)
{
    /// <summary>The workspace the template named (its name, never its key).</summary>
    public string? Workspace { get; init; }

    /// <summary>The Braze REST path, when the template got that far; else the answer's.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Braze's last answer: its status and message go into the dead letter.</summary>
    public BrazeResponse? Response { get; init; }
}

/// <summary>
/// The one writer of dead letters: envelope plus reason on the poison queue, never expiring, through the poison client
/// with short per-try timeouts (a failing write must not hold the run). A reason too large for a queue message is
/// shortened; the ingress leaves room for the shortened reason beside every inline envelope (<see cref="EnvelopeHeadroom"/>),
/// so only an envelope written before that rule can still go bare (the host's shape), the log keeping the reason.
/// </summary>
internal sealed class DeadLetterWriter(RelayQueues queues, TimeProvider time, RelayMetrics metrics, ILogger<DeadLetterWriter> logger)
{
    /// <summary>Dead letters leave the poison queue by replay or by an operator, never by a timer.</summary>
    public static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    /// <summary>Dead-letters a message with its reason (Braze's status and message, the detail, the workspace's name).</summary>
    public async Task<DispatchResult> DeadLetterAsync(WebhookEnvelope envelope, DeadLetterCause cause)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(cause);
        var status = cause.Response is { StatusCode: > 0 } response ? response.StatusCode : (int?)null;
        var reason = new DeadLetterReason(cause.Code, status, cause.Response?.Message, cause.Detail, cause.Endpoint ?? cause.Response?.Endpoint, envelope.Route,
            envelope.Id, envelope.Attempt, envelope.ReceivedAt, time.GetUtcNow(), envelope.CorrelationId) { Workspace = cause.Workspace };
        await WriteAsync(reason, envelope, null, CancellationToken.None).ConfigureAwait(false);
        return new DispatchResult(DispatchOutcome.DeadLettered, cause.Code, status);
    }

    /// <summary>Dead-letters a queue message that is not a readable envelope, keeping its text.</summary>
    public async Task<DispatchResult> DeadLetterUnreadableAsync(string rawMessage, string problem)
    {
        var reason = new DeadLetterReason(DeadLetterCodes.InvalidEnvelope, null, null, problem, null, "(unknown)", "(unknown)", 0, null, time.GetUtcNow(), null);
        await WriteAsync(reason, null, rawMessage, CancellationToken.None).ConfigureAwait(false);
        return new DispatchResult(DispatchOutcome.DeadLettered, reason.Code);
    }

    public async Task WriteAsync(DeadLetterReason reason, WebhookEnvelope? envelope, string? rawMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var bytes = DeadLetterCodec.Serialize(reason, envelope, rawMessage);
        if (bytes.Length > QueueMessageLimits.MaxBytesBeforeBase64)
        {
            var shortened = reason with
            {
                BrazeMessage = null,
                Detail = Shorten(reason.Detail, EnvelopeHeadroom.ShortDetailLength),
                Endpoint = Shorten(reason.Endpoint, EnvelopeHeadroom.ShortEndpointLength),
            };
            bytes = DeadLetterCodec.Serialize(shortened, envelope, rawMessage);
        }

        if (bytes.Length > QueueMessageLimits.MaxBytesBeforeBase64 && envelope is not null)
        {
            Log.DeadLetterTooLarge(logger, reason.MessageId, reason.Code);
            bytes = EnvelopeCodec.Serialize(envelope);
        }

        await queues.EndingPoison.SendAsync(new BinaryData(bytes), null, NeverExpires, cancellationToken).ConfigureAwait(false);
        metrics.DeadLettered(reason.Route, reason.Code, reason.Workspace);
        Log.DeadLettered(logger, reason.MessageId, reason.Route, reason.Code, reason.Status, reason.Endpoint, reason.Attempt, reason.CorrelationId, reason.Workspace);
    }

    private static string? Shorten(string? text, int length) => text is { } t && t.Length > length ? t[..length] + "..." : text;
}
