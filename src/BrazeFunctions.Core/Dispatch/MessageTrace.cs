using System.Globalization;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>Where a message is now.</summary>
public enum MessageState
{
    /// <summary>On the outbox and visible: waiting for a dispatcher, or being dispatched now.</summary>
    Queued,

    /// <summary>On the outbox, invisible until a time (deferred: rate limit, retry schedule, credential pause...).</summary>
    Waiting,

    Delivered,

    /// <summary>Not sent: Braze had already accepted the same delivery from an earlier copy.</summary>
    Duplicate,

    /// <summary>Its template ran <c>abort_message</c>: not a delivery and not a failure.</summary>
    Aborted,

    DeadLettered,

    /// <summary>Put back on the outbox from the poison queue by an operator.</summary>
    Replayed,

    /// <summary>Removed from the poison queue by an operator.</summary>
    Purged,

    /// <summary>Nothing is known about it (see the report's summary for what that can mean).</summary>
    Unknown,
}

/// <summary>
/// What <c>trace</c> found for one message id: its state, a one-line summary naming the facts (when, Braze's status, the
/// batch size, the reason and detail, until when it waits), the trace records in time order, the dead letter when it
/// is on the poison queue, and notes about what could not be looked at.
/// </summary>
public sealed record MessageTraceReport(
    string MessageId,
    MessageState State,
    string Summary,
    DateTimeOffset? ReceivedAt,
    IReadOnlyList<TraceRecord> History,
    DeadLetterItem? DeadLetter,
    bool SeenOnOutbox,
    IReadOnlyList<string> Notes);

/// <summary>Says where a webhook is, from its id (the one the ingress's 202 returned).</summary>
public interface IMessageTrace
{
    /// <summary>
    /// Reads the message's trace records, peeks the front of the outbox (never hiding a message there) and lists the
    /// poison queue for it. A store that cannot be read becomes a note; the others are still read.
    /// </summary>
    /// <exception cref="Azure.RequestFailedException">A queue could not be read.</exception>
    Task<MessageTraceReport> TraceAsync(string messageId, CancellationToken cancellationToken);
}

/// <inheritdoc cref="IMessageTrace"/>
internal sealed class MessageTrace(RelayQueues queues, IDeadLetterStore deadLetters, TraceStore store, TimeProvider time) : IMessageTrace
{
    public async Task<MessageTraceReport> TraceAsync(string messageId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(messageId);
        var id = TraceKeys.Normalize(messageId);
        var notes = new List<string>();
        IReadOnlyList<TraceRecord> history = [];
        if (id is null)
        {
            notes.Add($"'{messageId}' is not a message id of this relay (32 hex digits, a UUIDv7, as in the ingress's 202): only the queues were searched");
        }
        else if (!store.Enabled)
        {
            notes.Add("trace records are off (Trace__Enabled is false): only the queues were searched");
        }
        else
        {
            try
            {
                history = await store.ReadAsync(id, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
            {
                notes.Add($"the trace records could not be read (table storage {StorageFailure.Describe(ex)}): only the queues were searched");
            }
        }

        var wanted = id ?? messageId;
        var onOutbox = (await queues.Outbox.PeekAsync(QueueScan.PageSize, cancellationToken).ConfigureAwait(false))
            .Any(m => string.Equals(DeadLetterCodec.Parse(m.Body).Envelope?.Id, wanted, StringComparison.OrdinalIgnoreCase));
        var deadLetter = (await deadLetters.ListAsync(new DeadLetterFilter(Id: wanted), null, cancellationToken).ConfigureAwait(false)).FirstOrDefault();
        var (state, summary) = TraceVerdict.Decide(history, deadLetter, onOutbox, time.GetUtcNow());
        return new MessageTraceReport(wanted, state, summary, id is null ? null : TraceKeys.TimeOf(id), history, deadLetter, onOutbox, notes);
    }
}

/// <summary>The state a message is in, from what the records and the queues say; the poison queue wins, then the latest record.</summary>
internal static class TraceVerdict
{
    public static (MessageState State, string Summary) Decide(IReadOnlyList<TraceRecord> history, DeadLetterItem? deadLetter, bool onOutbox, DateTimeOffset now)
    {
        if (deadLetter is not null)
        {
            return (MessageState.DeadLettered, DeadLettered(deadLetter));
        }

        if (history.Count == 0)
        {
            return onOutbox
                ? (MessageState.Queued, "queued: visible on the outbox, waiting for a dispatcher")
                : (MessageState.Unknown, "no record of it: it is not among the first 32 messages of the outbox nor on the poison queue, and nothing is recorded yet. " +
                    "It may be further back in the outbox or being dispatched right now (a record is written about a second after each ending), " +
                    "its records may have expired (Trace__Retention), or this relay (queue, storage account) never received it");
        }

        // A copy of a delivered message (a redelivery after a lease ran out, a re-queued copy) ends as a duplicate or waits
        // behind the claim: that sends nothing, so the delivery stands unless an operator sent the message again since.
        var last = history[^1];
        var delivered = history.LastOrDefault(r => r.Event == TraceEvent.Delivered);
        var copies = 0;
        if (delivered is not null && !history.Any(r => r.At > delivered.At && r.Event is TraceEvent.Replayed or TraceEvent.DeadLettered or TraceEvent.Purged))
        {
            copies = history.Count(r => r.At > delivered.At);
            last = delivered;
        }

        return last.Event switch
        {
            TraceEvent.Delivered => (MessageState.Delivered,
                $"delivered at {When(last.At)}: Braze answered {Text(last.Status)}, in a request of {Text(last.BatchSize)} message(s)" +
                (last.Endpoint is null ? string.Empty : $" to {last.Endpoint}") + (last.Workspace is null ? string.Empty : $" (workspace {last.Workspace})") +
                (copies == 0 ? string.Empty : $"; {copies} later record(s) are copies of it that sent nothing more")),
            TraceEvent.Duplicate => (MessageState.Duplicate, $"not sent at {When(last.At)}: Braze had already accepted the same delivery from an earlier copy (duplicate)"),
            TraceEvent.Aborted => (MessageState.Aborted, $"aborted by its template at {When(last.At)}: {last.Reason}"),
            TraceEvent.Deferred when last.Until > now => (MessageState.Waiting,
                $"queued: deferred at {When(last.At)} ({last.Reason}{(last.Status is { } s ? $", Braze answered {s}" : string.Empty)}), invisible until {When(last.Until!.Value)}"),
            TraceEvent.Deferred => (MessageState.Queued,
                $"queued: deferred at {When(last.At)} ({last.Reason}) and visible again since {(last.Until is { } until ? When(until) : "then")}; waiting for a dispatcher, or being dispatched now"),
            TraceEvent.Replayed => (MessageState.Replayed, $"replayed at {When(last.At)}: back on the outbox, waiting for a dispatcher"),
            TraceEvent.Purged => (MessageState.Purged, $"purged at {When(last.At)}: removed from the poison queue by an operator (it was {last.Reason})"),
            _ => (MessageState.DeadLettered,
                $"dead-lettered at {When(last.At)} ({last.Reason}{(last.Status is { } st ? $", Braze answered {st}" : string.Empty)}), but no longer on the poison queue: removed by hand or by another tool"),
        };
    }

    public static string When(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string DeadLettered(DeadLetterItem item)
    {
        var reason = item.Entry.Reason;
        var at = item.DeadLetteredAt is { } when ? $" at {When(when)}" : string.Empty;
        var status = reason?.Status is { } s ? $", Braze answered {s}" : string.Empty;
        var detail = string.Join("; ", new[] { reason?.BrazeMessage, reason?.Detail, item.Entry.Problem }.Where(t => !string.IsNullOrWhiteSpace(t)));
        return $"dead-lettered{at}: {item.ReasonCode}{status}" + (detail.Length == 0 ? string.Empty : $": {detail}");
    }

    private static string Text(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "?";
}
