using Azure;
using Azure.Storage.Queues.Models;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>Which poison messages an operation applies to; all set criteria must match. No criterion means every message.</summary>
public sealed record DeadLetterFilter(string? Route = null, int? Status = null, string? Id = null)
{
    public static DeadLetterFilter All { get; } = new();

    public bool Matches(PoisonEntry entry, string queueMessageId)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (Id is not null && !string.Equals(Id, queueMessageId, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(Id, entry.Envelope?.Id ?? entry.Reason?.MessageId, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (Route is not null && !string.Equals(Route, entry.Envelope?.Route ?? entry.Reason?.Route, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return Status is null || entry.Reason?.Status == Status;
    }
}

/// <summary>A poison message as listed: the queue's facts plus what it holds.</summary>
public sealed record DeadLetterItem(string QueueMessageId, DateTimeOffset? InsertedOn, long DequeueCount, PoisonEntry Entry);

/// <summary>The result of a replay: what went back on the outbox, what was left and why.</summary>
public sealed record ReplayResult(IReadOnlyList<string> Replayed, IReadOnlyList<(string QueueMessageId, string Problem)> Skipped);

/// <summary>
/// Lists and replays the poison queue (<c>braze-outbox-poison</c>), which holds the dispatcher's dead letters and the
/// host's crash-poisoned envelopes. Messages are read by receiving them (a peek sees at most 32) and made visible again
/// when they are not replayed; a replayed message is deleted only after its envelope is back on the outbox.
/// </summary>
public sealed class DeadLetterStore(RelayQueues queues, IOptions<OutboxOptions> outbox, ILogger<DeadLetterStore> logger)
{
    private static readonly TimeSpan ScanVisibility = TimeSpan.FromMinutes(2);
    private const int MaxScan = 10_000;

    public async Task<IReadOnlyList<DeadLetterItem>> ListAsync(DeadLetterFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var scanned = await ScanAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return [.. scanned.Where(s => filter.Matches(s.Item.Entry, s.Item.QueueMessageId)).Select(s => s.Item)];
        }
        finally
        {
            await ReleaseAsync(scanned.Select(s => s.Message), cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<ReplayResult> ReplayAsync(DeadLetterFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var scanned = await ScanAsync(cancellationToken).ConfigureAwait(false);
        var replayed = new List<string>();
        var skipped = new List<(string, string)>();
        var release = new List<QueueMessage>();
        foreach (var (item, message) in scanned)
        {
            if (!filter.Matches(item.Entry, item.QueueMessageId))
            {
                release.Add(message);
                continue;
            }

            if (item.Entry.Envelope is not { } envelope)
            {
                skipped.Add((item.QueueMessageId, item.Entry.Problem ?? "no readable envelope"));
                release.Add(message);
                continue;
            }

            try
            {
                var fresh = envelope with { Attempt = 0 };
                await queues.Outbox.SendAsync(new BinaryData(EnvelopeCodec.Serialize(fresh)), null, outbox.Value.MessageTimeToLive, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex)
            {
                skipped.Add((item.QueueMessageId, $"re-enqueue failed ({ex.Status} {ex.ErrorCode}); left on the poison queue"));
                release.Add(message);
                continue;
            }

            // Only now is it safe to remove: the envelope is on the outbox. A failed delete leaves a duplicate, never a loss.
            Log.DeadLetterReplayed(logger, envelope.Id, envelope.Route, item.QueueMessageId);
            replayed.Add(envelope.Id);
            try
            {
                await queues.Poison.Client.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex)
            {
                skipped.Add((item.QueueMessageId, $"replayed, but the dead letter could not be removed ({ex.Status} {ex.ErrorCode}); replaying it again would deliver it twice"));
            }
        }

        await ReleaseAsync(release, cancellationToken).ConfigureAwait(false);
        return new ReplayResult(replayed, skipped);
    }

    private async Task<List<(DeadLetterItem Item, QueueMessage Message)>> ScanAsync(CancellationToken cancellationToken)
    {
        var result = new List<(DeadLetterItem, QueueMessage)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (result.Count < MaxScan)
        {
            QueueMessage[] batch;
            try
            {
                batch = (await queues.Poison.Client.ReceiveMessagesAsync(32, ScanVisibility, cancellationToken).ConfigureAwait(false)).Value;
            }
            catch (RequestFailedException ex) when (ex.ErrorCode == QueueErrorCode.QueueNotFound)
            {
                break;
            }

            if (batch.Length == 0)
            {
                break;
            }

            foreach (var message in batch)
            {
                if (seen.Add(message.MessageId))
                {
                    var entry = DeadLetterCodec.Parse(message.Body.ToMemory());
                    result.Add((new DeadLetterItem(message.MessageId, message.InsertedOn, message.DequeueCount, entry), message));
                }
            }
        }

        return result;
    }

    private async Task ReleaseAsync(IEnumerable<QueueMessage> messages, CancellationToken cancellationToken)
    {
        foreach (var message in messages)
        {
            try
            {
                await queues.Poison.Client.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException)
            {
                // It becomes visible by itself when the scan's visibility timeout ends.
            }
        }
    }
}
