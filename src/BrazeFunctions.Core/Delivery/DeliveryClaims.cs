using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Idempotency;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Delivery;

/// <summary>
/// Claim, mark, release: the records that keep one delivery (route + dedupe key) from reaching Braze twice. A message
/// claims its delivery just before its request is sent (insert-if-absent, owner = its envelope id), marks it delivered
/// on Braze's 2xx, and releases it (delete) on any answer that proves nothing was applied. A claim found in the way
/// decides the message's fate: delivered is a duplicate; another message's fresh claim means it is being sent right now;
/// its own claim or a stale one means an earlier run may have reached Braze, and the template's policy decides.
/// </summary>
internal sealed class DeliveryClaims(IdempotencyStore store, TimeProvider time, IOptions<IdempotencyOptions> options, RelayMetrics metrics, ILogger<DeliveryClaims> logger)
{
    /// <summary>Claims <paramref name="item"/>'s delivery; null when it may be sent, else the report it ends with.</summary>
    public async Task<DeliveryReport?> ClaimAsync(DeliveryItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!store.Enabled || item.Claim is not null || item.SentUnclaimed)
        {
            return null;
        }

        try
        {
            var (record, inserted) = await store.InsertAsync(RecordKind.Delivery, item.Route, item.DedupeKey, item.Envelope.ReceivedAt, item.MessageId, RecordState.Sending, cancellationToken).ConfigureAwait(false);
            if (inserted)
            {
                item.Claim = record;
                return null;
            }

            if (record.State == RecordState.Delivered)
            {
                return new DeliveryReport.Duplicate(record);
            }

            var age = time.GetUtcNow() - record.Since;
            var own = string.Equals(record.Owner, item.MessageId, StringComparison.Ordinal);
            if (!own && age < options.Value.ClaimLease)
            {
                return new DeliveryReport.ClaimedElsewhere(record, age);
            }

            if (!item.MayResendWhenAmbiguous)
            {
                return new DeliveryReport.OutcomeUnknown(record, own);
            }

            // The policy (or the operator's replay) accepts a second application: take the claim over and send.
            var taken = await store.ReplaceAsync(record, RecordState.Sending, item.MessageId, cancellationToken).ConfigureAwait(false);
            if (taken is null)
            {
                return new DeliveryReport.ClaimedElsewhere(record, TimeSpan.Zero);
            }

            Log.ClaimTakenOver(logger, item.MessageId, item.Route, own, age.TotalSeconds, item.Envelope.OverrideClaim);
            metrics.Ambiguous(item.Route, "retry");
            item.Claim = taken;
            return null;
        }
        catch (IdempotencyStoreUnavailableException ex)
        {
            metrics.IdempotencyStoreFailed("dispatch");
            if (item.Policy == AmbiguousOutcomePolicy.Retry)
            {
                // A repeat of this request does no harm, so delivering it beats waiting for the store.
                Log.SendingUnclaimed(logger, item.MessageId, item.Route, ex.Message);
                item.SentUnclaimed = true;
                return null;
            }

            return new DeliveryReport.StoreUnavailable(ex.Message);
        }
    }

    /// <summary>Marks the delivery done. A failure is logged: later copies will then treat the claim as an unknown outcome.</summary>
    public async Task MarkDeliveredAsync(DeliveryItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Claim is not { } claim)
        {
            return;
        }

        try
        {
            var marked = await store.ReplaceAsync(claim, RecordState.Delivered, item.MessageId, cancellationToken).ConfigureAwait(false);
            if (marked is null)
            {
                Log.ClaimLost(logger, item.MessageId, item.Route, "mark");
            }

            item.Claim = marked;
        }
        catch (IdempotencyStoreUnavailableException ex)
        {
            metrics.IdempotencyStoreFailed("mark");
            Log.ClaimWriteFailed(logger, item.MessageId, item.Route, "mark", ex.Message);
        }
    }

    /// <summary>Removes the claim after an answer proving nothing was applied, so the next copy sends normally.</summary>
    public async Task ReleaseAsync(DeliveryItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Claim is not { } claim)
        {
            return;
        }

        try
        {
            if (!await store.DeleteAsync(claim, cancellationToken).ConfigureAwait(false))
            {
                Log.ClaimLost(logger, item.MessageId, item.Route, "release");
            }

            item.Claim = null;
        }
        catch (IdempotencyStoreUnavailableException ex)
        {
            metrics.IdempotencyStoreFailed("release");
            Log.ClaimWriteFailed(logger, item.MessageId, item.Route, "release", ex.Message);
        }
    }
}
