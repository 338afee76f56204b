using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// The largest message the relay writes: Azure Storage caps a message at 64 KiB, and Base64 (the encoding the queue
/// trigger expects) turns every 3 bytes into 4 characters.
/// </summary>
public static class QueueMessageLimits
{
    public const int MaxBytesBeforeBase64 = 64 * 1024 / 4 * 3;
}

/// <summary>
/// One storage queue (the outbox or its poison queue). Sends create the queue on first use when it is missing, so a
/// fresh Azurite works without a set-up step; in Azure the Bicep template creates both queues.
/// </summary>
public sealed class StorageQueue(QueueClient client)
{
    public string Name => client.Name;

    public QueueClient Client => client;

    /// <summary>Sends one message; returns only after storage acknowledged it.</summary>
    public async Task<SendReceipt> SendAsync(BinaryData message, TimeSpan? visibilityDelay, TimeSpan? timeToLive, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.SendMessageAsync(message, visibilityDelay, timeToLive, cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == QueueErrorCode.QueueNotFound)
        {
            await client.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return (await client.SendMessageAsync(message, visibilityDelay, timeToLive, cancellationToken).ConfigureAwait(false)).Value;
        }
    }

    /// <summary>Checks that the queue service answers and the queue exists (creating it when missing).</summary>
    public async Task<QueueProperties> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await client.GetPropertiesAsync(cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == QueueErrorCode.QueueNotFound)
        {
            await client.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return (await client.GetPropertiesAsync(cancellationToken).ConfigureAwait(false)).Value;
        }
    }
}

/// <summary>The two queues the relay uses, resolved once from the configured connection.</summary>
public sealed class RelayQueues
{
    public RelayQueues(QueueServiceClientFactory factory, Microsoft.Extensions.Options.IOptions<OutboxOptions> options)
    {
        var service = factory.Create();
        Outbox = new StorageQueue(service.GetQueueClient(options.Value.QueueName));
        Poison = new StorageQueue(service.GetQueueClient(options.Value.PoisonQueueName));
    }

    public StorageQueue Outbox { get; }

    public StorageQueue Poison { get; }
}
