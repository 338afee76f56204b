using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Delivery;

/// <summary>
/// Claim, refresh, mark, release: the records that keep one delivery (route + dedupe key) from reaching Braze twice. A
/// message claims its delivery just before its request is sent (insert-if-absent, owner = its envelope id, token = this
/// attempt), refreshes the claim before every resend, marks it delivered on Braze's 2xx, and releases it (delete) on any
/// answer that proves nothing was applied. A record found in the way decides the message's fate (<see cref="Judge"/>).
/// </summary>
internal sealed class DeliveryClaims(IdempotencyStore store, TimeProvider time, IOptions<IdempotencyOptions> options, RelayMetrics metrics, ILogger<DeliveryClaims> logger)
{
    /// <summary>
    /// Claims <paramref name="item"/>'s delivery, or refreshes the claim it already holds (a resend); null when it may be
    /// sent, else the report it ends with.
    /// </summary>
    public async Task<DeliveryReport?> ClaimAsync(DeliveryItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!store.Enabled || item.SentUnclaimed)
        {
            return null;
        }

        try
        {
            return item.Claim is { } held
                ? await RefreshAsync(item, held, cancellationToken).ConfigureAwait(false)
                : await ClaimNewAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (IdempotencyStoreUnavailableException ex)
        {
            metrics.IdempotencyStoreFailed("dispatch");
            if (item.Policy == AmbiguousOutcomePolicy.Retry)
            {
                // A repeat of this request does no harm, so delivering it beats waiting for the store.
                Log.SendingUnclaimed(logger, item.MessageId, item.Route, ex.Message);
                item.SentUnclaimed = true;
                item.HasClaimed = true;
                return null;
            }

            return new DeliveryReport.StoreUnavailable(ex.Message);
        }
    }

    /// <summary>
    /// What a record found in the way means for <paramref name="item"/>; null when the item may take it over.
    /// <list type="bullet">
    /// <item>Delivered: a duplicate.</item>
    /// <item>A claim younger than <see cref="IdempotencyOptions.ClaimLease"/> that this copy did not inherit (another envelope's,
    /// or another copy of this envelope's: a redelivery beside a deferral copy): it is being sent right now.</item>
    /// <item>A claim this copy inherits (its token), or one older than the lease: an earlier run may have reached Braze, and the
    /// template's policy decides.</item>
    /// <item>A claim marked dead-lettered has no live sender, whatever its age: this envelope's own (not replayed since) means
    /// this copy repeats a message already in the dead-letter queue; another's, that the policy decides now.</item>
    /// <item>An operator's replay (<see cref="WebhookEnvelope.OverrideClaim"/>) takes over a claim made before the replay once:
    /// this envelope's own, or a stale one.</item>
    /// </list>
    /// </summary>
    internal DeliveryReport? Judge(DeliveryItem item, IdempotencyRecord record)
    {
        if (record.State == RecordState.Delivered)
        {
            return new DeliveryReport.Duplicate(record);
        }

        var age = time.GetUtcNow() - record.Since;
        var own = string.Equals(record.Owner, item.MessageId, StringComparison.Ordinal);
        var inherited = record.WrittenBy(item.Envelope.ClaimToken);
        var overridden = Overrides(item.Envelope, record, own, age);
        if (record.State == RecordState.DeadLettered && !overridden && own && !ReplayedSince(item.Envelope, record))
        {
            return new DeliveryReport.AlreadyDeadLettered(record);
        }

        if (!inherited && !overridden && age < options.Value.ClaimLease && record.State != RecordState.DeadLettered)
        {
            return new DeliveryReport.ClaimedElsewhere(record, age);
        }

        return overridden || item.MayResendWhenAmbiguous ? null : new DeliveryReport.OutcomeUnknown(record, own);
    }

    /// <summary>Marks the delivery done. A failure is logged: later copies will then treat the claim as an unknown outcome.</summary>
    public Task MarkDeliveredAsync(DeliveryItem item, CancellationToken cancellationToken) => MarkAsync(item, RecordState.Delivered, "mark", cancellationToken);

    /// <summary>
    /// Marks a kept claim as belonging to a message now in the dead-letter queue (written after the dead letter, never
    /// before). A failure is logged: the claim then stays <c>sending</c>, and later copies wait out its lease as before.
    /// </summary>
    public Task MarkDeadLetteredAsync(DeliveryItem item, CancellationToken cancellationToken) => MarkAsync(item, RecordState.DeadLettered, "dead-letter mark", cancellationToken);

    private async Task MarkAsync(DeliveryItem item, string state, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Claim is not { } claim)
        {
            return;
        }

        try
        {
            var marked = await store.ReplaceAsync(claim, state, item.MessageId, claim.Token ?? NewToken(), cancellationToken).ConfigureAwait(false);
            if (marked is null)
            {
                Log.ClaimLost(logger, item.MessageId, item.Route, operation);
            }

            item.Claim = marked;
        }
        catch (IdempotencyStoreUnavailableException ex)
        {
            metrics.IdempotencyStoreFailed("mark");
            Log.ClaimWriteFailed(logger, item.MessageId, item.Route, operation, ex.Message);
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

    private async Task<DeliveryReport?> ClaimNewAsync(DeliveryItem item, CancellationToken cancellationToken)
    {
        var envelope = item.Envelope;
        var token = NewToken();
        // The table follows the message's age clock: a replay claims in the table of its replay day, which the cleanup keeps
        // for as long as the replayed copy can live.
        var (record, inserted) = await store.InsertAsync(RecordKind.Delivery, item.Route, item.DedupeKey, envelope.AgeClockStart, item.MessageId, token, RecordState.Sending, cancellationToken).ConfigureAwait(false);
        if (!inserted)
        {
            return await TakeOverAsync(item, record, token, cancellationToken).ConfigureAwait(false);
        }

        item.Claim = record;
        item.HasClaimed = true;
        if (PriorRecordsAt(envelope) is { } prior && prior.UtcDateTime.Date != envelope.AgeClockStart.UtcDateTime.Date
            && await store.FindAsync(RecordKind.Delivery, item.Route, item.DedupeKey, prior, cancellationToken).ConfigureAwait(false) is { } original
            && Judge(item, original) is { } verdict)
        {
            // The records of the message's previous life still decide: a twin delivered then, or a claim this replay may not take over.
            await ReleaseAsync(item, cancellationToken).ConfigureAwait(false);
            return verdict;
        }

        return null;
    }

    private async Task<DeliveryReport?> TakeOverAsync(DeliveryItem item, IdempotencyRecord record, string token, CancellationToken cancellationToken)
    {
        if (Judge(item, record) is { } verdict)
        {
            return verdict;
        }

        var taken = await store.ReplaceAsync(record, RecordState.Sending, item.MessageId, token, cancellationToken).ConfigureAwait(false);
        if (taken is null)
        {
            return new DeliveryReport.ClaimedElsewhere(record, TimeSpan.Zero);
        }

        var own = string.Equals(record.Owner, item.MessageId, StringComparison.Ordinal);
        var age = time.GetUtcNow() - record.Since;
        Log.ClaimTakenOver(logger, item.MessageId, item.Route, own, age.TotalSeconds, Overrides(item.Envelope, record, own, age));
        metrics.Ambiguous(item.Route, "retry");
        item.Claim = taken;
        item.HasClaimed = true;
        return null;
    }

    /// <summary>A resend: the claim is written again, so that its age counts from this request, not from the first one.</summary>
    private async Task<DeliveryReport?> RefreshAsync(DeliveryItem item, IdempotencyRecord held, CancellationToken cancellationToken)
    {
        var refreshed = await store.ReplaceAsync(held, RecordState.Sending, item.MessageId, held.Token ?? NewToken(), cancellationToken).ConfigureAwait(false);
        item.Claim = refreshed;
        if (refreshed is not null)
        {
            return null;
        }

        // Another copy took the claim over after this one's last request: it sends now, this one must not.
        Log.ClaimLost(logger, item.MessageId, item.Route, "refresh");
        return new DeliveryReport.ClaimedElsewhere(held, TimeSpan.Zero);
    }

    /// <summary>An operator's replay overrides a claim made before the replay: its own envelope's, or a stale one.</summary>
    private bool Overrides(WebhookEnvelope envelope, IdempotencyRecord record, bool own, TimeSpan age) =>
        envelope is { OverrideClaim: true, ReplayedAt: { } replayedAt } && record.Since < replayedAt
        && (own || age >= options.Value.ClaimLease || record.State == RecordState.DeadLettered);

    /// <summary>An operator replayed this envelope after the record was written: it is a new life of the message, not a repeat.</summary>
    private static bool ReplayedSince(WebhookEnvelope envelope, IdempotencyRecord record) => envelope.ReplayedAt is { } replayedAt && replayedAt > record.Since;

    /// <summary>Where a replayed copy's earlier records are: its previous life's start (a replay made before the field existed: its receipt).</summary>
    private static DateTimeOffset? PriorRecordsAt(WebhookEnvelope envelope) =>
        envelope.PriorRecordsAt ?? (envelope.ReplayedAt is null ? null : envelope.ReceivedAt);

    private string NewToken() => Guid.CreateVersion7(time.GetUtcNow()).ToString("N");
}
