using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// The largest message the relay writes: Azure Storage caps a message at 64 KiB, and Base64 (the encoding the queue
/// trigger expects) turns every 3 bytes into 4 characters.
/// </summary>
internal static class QueueMessageLimits
{
    public const int MaxBytesBeforeBase64 = 64 * 1024 / 4 * 3;

    /// <summary>Azure Storage refuses a visibility delay above 7 days.</summary>
    public static readonly TimeSpan MaxVisibilityDelay = TimeSpan.FromDays(7);

    /// <summary>
    /// The delay as storage will apply it: whole seconds, rounded up. The SDK sends <c>(int)TotalSeconds</c>, so a 1.9-s
    /// deferral would come back after 1 s, before the budget it waits for, and be deferred again for nothing.
    /// </summary>
    public static TimeSpan? WholeSeconds(TimeSpan? delay) =>
        delay is { } d && d > TimeSpan.Zero ? TimeSpan.FromSeconds(Math.Ceiling(d.TotalSeconds - 1e-9)) : delay;
}

/// <summary>
/// One message as read for inspection: the body decoded from Base64 when it was Base64 (everything the relay and the host
/// write is), else the stored text as is, so a message some other tool wrote cannot make a whole read fail.
/// </summary>
public sealed record StoredMessage(
    string MessageId,
    string? PopReceipt,
    ReadOnlyMemory<byte> Body,
    bool WasBase64,
    DateTimeOffset? InsertedOn,
    DateTimeOffset? ExpiresOn,
    long DequeueCount)
{
    /// <summary>Storage reports a message sent with time-to-live -1 as expiring at the end of the year 9999.</summary>
    public bool NeverExpires => ExpiresOn is null || ExpiresOn.Value.Year >= 9999;
}

/// <summary>
/// One storage queue (the outbox or its poison queue). Sends create the queue on first use when it is missing, so a
/// fresh Azurite works without a set-up step; in Azure the Bicep template creates both queues. Reads never create it.
/// </summary>
public sealed class StorageQueue
{
    private readonly QueueClient _client;
    private readonly QueueClient _rawClient;

    /// <param name="client">Sends, updates and deletes, with the Base64 encoding the queue trigger expects.</param>
    /// <param name="rawClient">The same queue without decoding, for reads that must survive a message in another encoding.</param>
    public StorageQueue(QueueClient client, QueueClient rawClient)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(rawClient);
        _client = client;
        _rawClient = rawClient;
    }

    public string Name => _client.Name;

    public QueueClient Client => _client;

    /// <summary>Sends one message; returns only after storage acknowledged it. A visibility delay is rounded up to whole seconds.</summary>
    public async Task<SendReceipt> SendAsync(BinaryData message, TimeSpan? visibilityDelay, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        visibilityDelay = QueueMessageLimits.WholeSeconds(visibilityDelay);
        try
        {
            return (await _client.SendMessageAsync(message, visibilityDelay, timeToLive, cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == QueueErrorCode.QueueNotFound)
        {
            await _client.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return (await _client.SendMessageAsync(message, visibilityDelay, timeToLive, cancellationToken).ConfigureAwait(false)).Value;
        }
    }

    /// <summary>The queue's properties, or null when the queue does not exist. Never creates it.</summary>
    public async Task<QueueProperties?> GetPropertiesIfExistsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await _client.GetPropertiesAsync(cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == QueueErrorCode.QueueNotFound)
        {
            return null;
        }
    }

    /// <summary>Receives up to <paramref name="maxMessages"/> (at most 32); an absent queue is an empty one.</summary>
    public async Task<IReadOnlyList<StoredMessage>> ReceiveAsync(int maxMessages, TimeSpan visibilityTimeout, CancellationToken cancellationToken)
    {
        try
        {
            var messages = (await _rawClient.ReceiveMessagesAsync(maxMessages, visibilityTimeout, cancellationToken).ConfigureAwait(false)).Value;
            return [.. messages.Select(m => Decode(m.MessageId, m.PopReceipt, m.Body, m.InsertedOn, m.ExpiresOn, m.DequeueCount))];
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == QueueErrorCode.QueueNotFound)
        {
            return [];
        }
    }

    /// <summary>The message at the front of the queue, without changing it; null when the queue is empty or absent.</summary>
    public async Task<StoredMessage?> PeekFirstAsync(CancellationToken cancellationToken)
    {
        try
        {
            var peeked = (await _rawClient.PeekMessageAsync(cancellationToken).ConfigureAwait(false)).Value;
            return peeked is null ? null : Decode(peeked.MessageId, null, peeked.Body, peeked.InsertedOn, peeked.ExpiresOn, peeked.DequeueCount);
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == QueueErrorCode.QueueNotFound)
        {
            return null;
        }
    }

    /// <summary>Up to <paramref name="maxMessages"/> (at most 32) visible messages from the front, without hiding or changing them; an absent queue is an empty one.</summary>
    public async Task<IReadOnlyList<StoredMessage>> PeekAsync(int maxMessages, CancellationToken cancellationToken)
    {
        try
        {
            var peeked = (await _rawClient.PeekMessagesAsync(maxMessages, cancellationToken).ConfigureAwait(false)).Value;
            return [.. peeked.Select(m => Decode(m.MessageId, null, m.Body, m.InsertedOn, m.ExpiresOn, m.DequeueCount))];
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == QueueErrorCode.QueueNotFound)
        {
            return [];
        }
    }

    /// <summary>Makes a received message visible again at once.</summary>
    public Task ReleaseAsync(StoredMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _client.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken);
    }

    public Task DeleteAsync(StoredMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _client.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
    }

    internal static StoredMessage Decode(string messageId, string? popReceipt, BinaryData raw, DateTimeOffset? insertedOn, DateTimeOffset? expiresOn, long dequeueCount)
    {
        var text = raw.ToString();
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(text, buffer, out var written)
            ? new StoredMessage(messageId, popReceipt, buffer.AsMemory(0, written), true, insertedOn, expiresOn, dequeueCount)
            : new StoredMessage(messageId, popReceipt, raw.ToMemory(), false, insertedOn, expiresOn, dequeueCount);
    }
}

/// <summary>
/// The two queues the relay uses, resolved once from the configured connection, each also through a client with short
/// per-try timeouts for the writes that end a dispatch run (<see cref="OutboxOptions.EndingWriteTimeout"/>).
/// </summary>
public sealed class RelayQueues
{
    public RelayQueues(QueueServiceClientFactory factory, Microsoft.Extensions.Options.IOptions<OutboxOptions> options)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        var service = factory.Create();
        var raw = factory.Create(QueueMessageEncoding.None);
        var ending = factory.Create(endingWrites: true);
        var (outbox, poison) = (options.Value.QueueName, options.Value.PoisonQueueName);
        Outbox = new StorageQueue(service.GetQueueClient(outbox), raw.GetQueueClient(outbox));
        Poison = new StorageQueue(service.GetQueueClient(poison), raw.GetQueueClient(poison));
        EndingOutbox = new StorageQueue(ending.GetQueueClient(outbox), raw.GetQueueClient(outbox));
        EndingPoison = new StorageQueue(ending.GetQueueClient(poison), raw.GetQueueClient(poison));
    }

    public StorageQueue Outbox { get; }

    public StorageQueue Poison { get; }

    /// <summary>The outbox for deferral copies: short per-try timeouts, so a failing write fails the run within seconds.</summary>
    public StorageQueue EndingOutbox { get; }

    /// <summary>The poison queue for dead letters written by a dispatch run: short per-try timeouts.</summary>
    public StorageQueue EndingPoison { get; }
}
