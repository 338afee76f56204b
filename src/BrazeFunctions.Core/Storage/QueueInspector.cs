using BrazeFunctions.Core.Messages;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// What a queue looks like right now: whether it exists, its approximate length and the age of the message at its front.
/// </summary>
/// <param name="Queue">The queue's name.</param>
/// <param name="Exists">False when the queue has not been created yet (the ingress creates the outbox on the first webhook).</param>
/// <param name="ApproximateCount">Storage's approximate message count, invisible (deferred) messages included.</param>
/// <param name="OldestAge">
/// Age of the first visible message, from its envelope's <c>replayedAt</c> or <c>receivedAt</c> (the clock message age
/// limits use), else from when storage inserted it; null when no message is visible.
/// </param>
public sealed record QueueSnapshot(string Queue, bool Exists, long ApproximateCount, TimeSpan? OldestAge);

/// <summary>
/// Reads a <see cref="QueueSnapshot"/> with two storage calls (properties, one peek) and never creates anything. Azure
/// Storage's own queue metrics are per account and hourly, which is too coarse to alert on a stuck outbox.
/// </summary>
public sealed class QueueInspector(TimeProvider time)
{
    /// <exception cref="Azure.RequestFailedException">Storage answered with an error other than "queue not found".</exception>
    public async Task<QueueSnapshot> InspectAsync(StorageQueue queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        var properties = await queue.GetPropertiesIfExistsAsync(cancellationToken).ConfigureAwait(false);
        if (properties is null)
        {
            return new QueueSnapshot(queue.Name, false, 0, null);
        }

        var first = await queue.PeekFirstAsync(cancellationToken).ConfigureAwait(false);
        TimeSpan? age = first is null ? null : Max(time.GetUtcNow() - StartOf(first), TimeSpan.Zero);
        return new QueueSnapshot(queue.Name, true, properties.ApproximateMessagesCount, age);
    }

    /// <summary>When the message's current life began: the envelope's age clock when it has one, else its insertion.</summary>
    internal static DateTimeOffset StartOf(StoredMessage message)
    {
        var entry = DeadLetterCodec.Parse(message.Body);
        return entry.Envelope?.AgeClockStart ?? entry.Reason?.ReceivedAt ?? message.InsertedOn ?? DateTimeOffset.MinValue;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
