using System.Diagnostics;
using Azure;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Http;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Ingress;

/// <summary>
/// Accepts one webhook: validates it, wraps it in an envelope and queues it. A 202 is answered only after storage
/// acknowledged the message; when storage fails the caller gets 503 with <c>Retry-After</c>, which Braze retries. A webhook
/// with an <c>Idempotency-Key</c> header is queued once: Braze's retries of it get the original message id.
/// </summary>
public interface IWebhookIngress
{
    /// <summary>Validates and queues the webhook posted to <paramref name="route"/>; the reply is 202 only once the message is durably queued.</summary>
    Task<JsonReply> AcceptAsync(string route, HttpRequest request, CancellationToken cancellationToken);
}

/// <inheritdoc cref="IWebhookIngress"/>
/// <remarks>
/// A body that fits a queue message together with the envelope and every field the relay may add later
/// (<see cref="EnvelopeHeadroom"/>) travels inline. A larger one, up to <see cref="IngressOptions.MaxBodyBytes"/>, is kept
/// in a blob before the enqueue (the claim-check) and the envelope carries the blob's name; a failed enqueue removes the
/// blob again (or leaves it to the cleanup, which removes orphans after a day).
/// </remarks>
internal sealed class WebhookIngress(
    WebhookRequestValidator validator,
    WebhookDeduplicator deduplicator,
    RelayQueues queues,
    MessageBodyStore bodies,
    IOptions<IngressOptions> ingressOptions,
    IOptions<OutboxOptions> outboxOptions,
    TimeProvider time,
    RelayMetrics metrics,
    ILogger<WebhookIngress> logger) : IWebhookIngress
{
    public async Task<JsonReply> AcceptAsync(string route, HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (webhook, rejection) = await validator.ValidateAsync(route ?? string.Empty, request, cancellationToken).ConfigureAwait(false);
        if (rejection is not null)
        {
            Log.WebhookRejected(logger, rejection.StatusCode, rejection.Error ?? "unknown");
            metrics.WebhookRejected(rejection.StatusCode, rejection.Error ?? "unknown");
            return rejection;
        }

        var envelope = NewEnvelope(webhook!);
        var message = EnvelopeCodec.Serialize(envelope);
        var kept = !FitsInline(message.Length);
        var (replay, pending) = await BeginOnceAsync(envelope, webhook!.IdempotencyKey, cancellationToken).ConfigureAwait(false);
        if (replay is not null)
        {
            return replay;
        }

        if (kept)
        {
            message = EnvelopeCodec.Serialize(envelope with { PayloadBlob = envelope.Id });
        }

        if (await QueueAsync(envelope, message, kept, cancellationToken).ConfigureAwait(false) is { } failure)
        {
            await deduplicator.AbandonAsync(pending, envelope.Route, envelope.Id).ConfigureAwait(false);
            return failure;
        }

        await deduplicator.QueuedAsync(pending, envelope.Route, envelope.Id, cancellationToken).ConfigureAwait(false);
        Log.WebhookQueued(logger, envelope.Id, envelope.Route, webhook.PayloadBytes, envelope.CorrelationId);
        if (kept)
        {
            Log.BodyKept(logger, envelope.Id, envelope.Route, webhook.PayloadBytes, envelope.Id);
        }

        metrics.WebhookReceived(envelope.Route);
        return JsonReply.Accepted(envelope.Id, envelope.Route);
    }

    /// <summary>True when an envelope of <paramref name="bytes"/> still fits a queue message after every field the relay may add to it.</summary>
    internal static bool FitsInline(int bytes) => bytes + EnvelopeHeadroom.Bytes <= QueueMessageLimits.MaxBytesBeforeBase64;

    private WebhookEnvelope NewEnvelope(ValidatedWebhook webhook) => new(
        WebhookEnvelope.CurrentVersion,
        Guid.CreateVersion7(time.GetUtcNow()).ToString("N"),
        webhook.Route,
        time.GetUtcNow(),
        webhook.PayloadJson,
        webhook.TraceParent ?? Activity.Current?.Id ?? NewTraceParent(),
        webhook.IdempotencyKey,
        Attempt: 0);

    /// <summary>
    /// Claims <paramref name="idempotencyKey"/> when the webhook has one: the reply to give instead of queuing (a replay of
    /// the original message id, or 503 while another request with the key is being queued), else the claim to complete.
    /// </summary>
    private async Task<(JsonReply? Reply, IdempotencyRecord? Pending)> BeginOnceAsync(WebhookEnvelope envelope, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (idempotencyKey is null)
        {
            return (null, null);
        }

        switch (await deduplicator.BeginAsync(envelope.Route, idempotencyKey, envelope.Id, cancellationToken).ConfigureAwait(false))
        {
            case IngressDecision.AlreadyQueued queued:
                return (JsonReply.Replayed(queued.OriginalMessageId, envelope.Route), null);
            case IngressDecision.InProgress inProgress:
                metrics.WebhookRejected(StatusCodes.Status503ServiceUnavailable, "idempotency_key_in_progress");
                return (JsonReply.Problem(StatusCodes.Status503ServiceUnavailable, "idempotency_key_in_progress",
                    $"A webhook with the same Idempotency-Key is being queued right now; retry after {inProgress.RetryAfterSeconds} seconds.",
                    retryAfterSeconds: inProgress.RetryAfterSeconds), null);
            case IngressDecision.Queue queue:
                return (null, queue.Record);
            default:
                return (null, null);
        }
    }

    /// <summary>Keeps the body in its blob when it must, then enqueues; null when queued, else the 503 to answer.</summary>
    private async Task<JsonReply?> QueueAsync(WebhookEnvelope envelope, byte[] message, bool kept, CancellationToken cancellationToken)
    {
        var bodyWritten = false;
        try
        {
            if (kept)
            {
                await bodies.WriteAsync(envelope.Id, envelope.PayloadJson, cancellationToken).ConfigureAwait(false);
                bodyWritten = true;
            }

            await queues.Outbox.SendAsync(new BinaryData(message), visibilityDelay: null, outboxOptions.Value.MessageTimeToLive, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            if (bodyWritten)
            {
                await bodies.DeleteAsync(envelope.Id).ConfigureAwait(false);
            }

            var retryAfter = ingressOptions.Value.StorageRetryAfterSeconds;
            Log.EnqueueFailed(logger, envelope.Id, envelope.Route, ex.GetType().Name, (ex as RequestFailedException)?.Status ?? 0, (ex as RequestFailedException)?.ErrorCode);
            metrics.WebhookRejected(StatusCodes.Status503ServiceUnavailable, "storage_unavailable");
            return JsonReply.Problem(StatusCodes.Status503ServiceUnavailable, "storage_unavailable",
                $"The webhook could not be queued because storage is unavailable; retry after {retryAfter} seconds.", retryAfterSeconds: retryAfter);
        }

        if (kept)
        {
            await bodies.MarkQueuedAsync(envelope.Id, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private static string NewTraceParent() =>
        $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
}
