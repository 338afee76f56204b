using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// Builds the queue client from the same settings the Functions host reads for a trigger's connection:
/// either a connection string (<c>AzureWebJobsStorage=UseDevelopmentStorage=true</c>) or identity-based settings
/// (<c>AzureWebJobsStorage__queueServiceUri</c>, optionally <c>__credential=managedidentity</c> and <c>__clientId</c>).
/// </summary>
public sealed class QueueServiceClientFactory(IConfiguration configuration, IOptions<OutboxOptions> options)
{
    // Base64 matches the queue trigger's default and host.json's "messageEncoding": "base64".
    public const QueueMessageEncoding Encoding = QueueMessageEncoding.Base64;

    /// <param name="messageEncoding">Base64 for everything the relay sends; <see cref="QueueMessageEncoding.None"/> for reads that
    /// decode for themselves, so one message in another encoding cannot fail a whole receive.</param>
    public QueueServiceClient Create(QueueMessageEncoding messageEncoding = Encoding)
    {
        var outbox = options.Value;
        var clientOptions = new QueueClientOptions { MessageEncoding = messageEncoding };
        StorageConnection.ApplyRetryPolicy(clientOptions.Retry, outbox);

        var connection = StorageConnection.Resolve(configuration, outbox.Connection, "queue");
        return connection.ConnectionString is { } connectionString
            ? new QueueServiceClient(connectionString, clientOptions)
            : new QueueServiceClient(connection.ServiceUri, connection.Credential, clientOptions);
    }
}
