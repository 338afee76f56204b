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
internal sealed class WebhookIngress : IWebhookIngress
{
    private readonly WebhookRequestValidator validator;
    private readonly WebhookDeduplicator deduplicator;
    private readonly RelayQueues queues;
    private readonly IOptions<IngressOptions> ingressOptions;
    private readonly IOptions<OutboxOptions> outboxOptions;
    private readonly TimeProvider time;
    private readonly RelayMetrics metrics;
    private readonly ILogger<WebhookIngress> logger;

    public WebhookIngress(
        WebhookRequestValidator validator,
        WebhookDeduplicator deduplicator,
        RelayQueues queues,
        IOptions<IngressOptions> ingressOptions,
        IOptions<OutboxOptions> outboxOptions,
        TimeProvider time,
        RelayMetrics metrics,
        ILogger<WebhookIngress> logger)
    {
        this.validator = validator;
        this.deduplicator = deduplicator;
        this.queues = queues;
        this.ingressOptions = ingressOptions;
        this.outboxOptions = outboxOptions;
        this.time = time;
        this.metrics = metrics;
        this.logger = logger;
    }

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

        var envelope = new WebhookEnvelope(
            WebhookEnvelope.CurrentVersion,
            Guid.CreateVersion7(time.GetUtcNow()).ToString("N"),
            webhook!.Route,
            time.GetUtcNow(),
            webhook.PayloadJson,
            webhook.TraceParent ?? Activity.Current?.Id ?? NewTraceParent(),
            webhook.IdempotencyKey,
            Attempt: 0);

        var message = EnvelopeCodec.Serialize(envelope);
        if (message.Length > QueueMessageLimits.MaxBytesBeforeBase64)
        {
            Log.WebhookRejected(logger, StatusCodes.Status413PayloadTooLarge, "envelope_too_large");
            metrics.WebhookRejected(StatusCodes.Status413PayloadTooLarge, "payload_too_large");
            return JsonReply.Problem(StatusCodes.Status413PayloadTooLarge, "payload_too_large",
                $"The webhook does not fit a queue message once wrapped ({message.Length} of {QueueMessageLimits.MaxBytesBeforeBase64} bytes before Base64); send a smaller body.");
        }

        IdempotencyRecord? pending = null;
        if (webhook.IdempotencyKey is { } idempotencyKey)
        {
            switch (await deduplicator.BeginAsync(envelope.Route, idempotencyKey, envelope.Id, cancellationToken).ConfigureAwait(false))
            {
                case IngressDecision.AlreadyQueued queued:
                    return JsonReply.Replayed(queued.OriginalMessageId, envelope.Route);
                case IngressDecision.InProgress inProgress:
                    metrics.WebhookRejected(StatusCodes.Status503ServiceUnavailable, "idempotency_key_in_progress");
                    return JsonReply.Problem(StatusCodes.Status503ServiceUnavailable, "idempotency_key_in_progress",
                        $"A webhook with the same Idempotency-Key is being queued right now; retry after {inProgress.RetryAfterSeconds} seconds.",
                        retryAfterSeconds: inProgress.RetryAfterSeconds);
                case IngressDecision.Queue queue:
                    pending = queue.Record;
                    break;
            }
        }

        try
        {
            await queues.Outbox.SendAsync(new BinaryData(message), visibilityDelay: null, outboxOptions.Value.MessageTimeToLive, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            await deduplicator.AbandonAsync(pending, envelope.Route, envelope.Id).ConfigureAwait(false);
            var retryAfter = ingressOptions.Value.StorageRetryAfterSeconds;
            Log.EnqueueFailed(logger, envelope.Id, envelope.Route, ex.GetType().Name, (ex as RequestFailedException)?.Status ?? 0, (ex as RequestFailedException)?.ErrorCode);
            metrics.WebhookRejected(StatusCodes.Status503ServiceUnavailable, "storage_unavailable");
            return JsonReply.Problem(StatusCodes.Status503ServiceUnavailable, "storage_unavailable",
                $"The webhook could not be queued because storage is unavailable; retry after {retryAfter} seconds.", retryAfterSeconds: retryAfter);
        }

        await deduplicator.QueuedAsync(pending, envelope.Route, envelope.Id, cancellationToken).ConfigureAwait(false);
        Log.WebhookQueued(logger, envelope.Id, envelope.Route, webhook.PayloadBytes, envelope.CorrelationId);
        metrics.WebhookReceived(envelope.Route);
        return JsonReply.Accepted(envelope.Id, envelope.Route);
    }


    private static string NewTraceParent() =>
        $"00-{ActivityTraceId.CreateRandom().ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
}
