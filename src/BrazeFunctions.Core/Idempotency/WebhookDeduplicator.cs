using BrazeFunctions.Core.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Idempotency;

/// <summary>What the ingress does with a webhook that carries an Idempotency-Key.</summary>
internal abstract record IngressDecision
{
    private IngressDecision()
    {
    }

    /// <summary>Queue it; <paramref name="Record"/> (when the store answered) is the pending record to settle afterwards.</summary>
    public sealed record Queue(IdempotencyRecord? Record) : IngressDecision;

    /// <summary>Already queued within the window: answer 202 with the original message id, queue nothing.</summary>
    public sealed record AlreadyQueued(string OriginalMessageId) : IngressDecision;

    /// <summary>The same key is being queued right now: answer 503 with Retry-After (Braze retries 5xx).</summary>
    public sealed record InProgress(int RetryAfterSeconds) : IngressDecision;
}

/// <summary>
/// De-duplicates webhooks at the ingress by their <c>Idempotency-Key</c> header, so that Braze's own retries of a webhook
/// (after a timeout or a 5xx) queue one message: insert a <c>pending</c> record, queue, then mark it <c>queued</c>; a
/// failed queue deletes the record. A repeat finding <c>queued</c> gets the original id; one finding a young
/// <c>pending</c> gets 503; an old <c>pending</c> (its run died) is taken over. When the store is unavailable the webhook
/// is queued without the check: queueing beats a storm of 503s, and dispatch still de-duplicates by delivery.
/// </summary>
internal sealed class WebhookDeduplicator(IdempotencyStore store, TimeProvider time, IOptions<IdempotencyOptions> options, RelayMetrics metrics, ILogger<WebhookDeduplicator> logger)
{
    public async Task<IngressDecision> BeginAsync(string route, string idempotencyKey, string messageId, CancellationToken cancellationToken)
    {
        if (!store.Enabled)
        {
            return new IngressDecision.Queue(null);
        }

        try
        {
            // The message id is new for every request, so it is also the write's token: a retried insert that had landed is ours.
            var (record, inserted) = await store.InsertAsync(RecordKind.Webhook, route, idempotencyKey, time.GetUtcNow(), messageId, messageId, RecordState.Pending, cancellationToken).ConfigureAwait(false);
            if (inserted)
            {
                return new IngressDecision.Queue(record);
            }

            var age = time.GetUtcNow() - record.Since;
            if (record.State == RecordState.Queued)
            {
                metrics.Duplicate(route, "ingress");
                Log.DuplicateSuppressed(logger, messageId, route, record.Owner, "ingress");
                return new IngressDecision.AlreadyQueued(record.Owner);
            }

            var pendingTimeout = options.Value.PendingTimeout;
            if (age < pendingTimeout)
            {
                return new IngressDecision.InProgress((int)Math.Clamp(Math.Ceiling((pendingTimeout - age).TotalSeconds), 1, 120));
            }

            // The run that wrote this pending record died between its insert and its enqueue: take over.
            var taken = await store.ReplaceAsync(record, RecordState.Pending, messageId, messageId, cancellationToken).ConfigureAwait(false);
            if (taken is null)
            {
                return new IngressDecision.InProgress(1);
            }

            Log.PendingTakenOver(logger, messageId, route, age.TotalSeconds);
            return new IngressDecision.Queue(taken);
        }
        catch (IdempotencyStoreUnavailableException ex)
        {
            metrics.IdempotencyStoreFailed("ingress");
            Log.IngressUnchecked(logger, messageId, route, ex.Message);
            return new IngressDecision.Queue(null);
        }
    }

    /// <summary>The message is on the outbox: repeats from now on get the original id.</summary>
    public async Task QueuedAsync(IdempotencyRecord? record, string route, string messageId, CancellationToken cancellationToken)
    {
        if (record is null)
        {
            return;
        }

        try
        {
            if (await store.ReplaceAsync(record, RecordState.Queued, messageId, messageId, cancellationToken).ConfigureAwait(false) is null)
            {
                Log.ClaimLost(logger, messageId, route, "queued mark");
            }
        }
        catch (IdempotencyStoreUnavailableException ex)
        {
            // The message is queued; a repeat within the pending timeout gets 503, later ones take over and dispatch de-duplicates.
            metrics.IdempotencyStoreFailed("ingress");
            Log.ClaimWriteFailed(logger, messageId, route, "mark queued", ex.Message);
        }
    }

    /// <summary>The enqueue failed: remove the pending record so that Braze's retry can queue it.</summary>
    public async Task AbandonAsync(IdempotencyRecord? record, string route, string messageId)
    {
        if (record is null)
        {
            return;
        }

        try
        {
            await store.DeleteAsync(record, CancellationToken.None).ConfigureAwait(false);
        }
        catch (IdempotencyStoreUnavailableException ex)
        {
            // Left pending: a retry after the pending timeout takes it over.
            metrics.IdempotencyStoreFailed("ingress");
            Log.ClaimWriteFailed(logger, messageId, route, "remove pending", ex.Message);
        }
    }
}
