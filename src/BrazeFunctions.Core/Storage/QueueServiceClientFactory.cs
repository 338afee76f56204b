using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// Builds the queue client from the same settings the Functions host reads for a trigger's connection:
/// either a connection string (<c>AzureWebJobsStorage=UseDevelopmentStorage=true</c>) or identity-based settings
/// (<c>AzureWebJobsStorage__queueServiceUri</c>, optionally <c>__credential=managedidentity</c> and <c>__clientId</c>).
/// </summary>
public sealed class QueueServiceClientFactory
{
    private readonly IConfiguration _configuration;
    private readonly IOptions<OutboxOptions> _options;
    private readonly Action<QueueClientOptions>? _configure;

    public QueueServiceClientFactory(IConfiguration configuration, IOptions<OutboxOptions> options)
        : this(configuration, options, null)
    {
    }

    /// <summary>Tests add pipeline policies (storage faults) to every client through <paramref name="configure"/>.</summary>
    internal QueueServiceClientFactory(IConfiguration configuration, IOptions<OutboxOptions> options, Action<QueueClientOptions>? configure)
    {
        _configuration = configuration;
        _options = options;
        _configure = configure;
    }

    // Base64 matches the queue trigger's default and host.json's "messageEncoding": "base64".
    public const QueueMessageEncoding Encoding = QueueMessageEncoding.Base64;

    /// <param name="messageEncoding">Base64 for everything the relay sends; <see cref="QueueMessageEncoding.None"/> for reads that
    /// decode for themselves, so one message in another encoding cannot fail a whole receive.</param>
    /// <param name="endingWrites">True for the client of the writes that end a dispatch run (short per-try timeouts).</param>
    public QueueServiceClient Create(QueueMessageEncoding messageEncoding = Encoding, bool endingWrites = false)
    {
        var outbox = _options.Value;
        var clientOptions = new QueueClientOptions { MessageEncoding = messageEncoding };
        if (endingWrites)
        {
            StorageConnection.ApplyEndingWritePolicy(clientOptions.Retry, outbox);
        }
        else
        {
            StorageConnection.ApplyRetryPolicy(clientOptions.Retry, outbox);
        }

        StorageConnection.ApplyTransport(clientOptions, outbox, endingWrites);
        _configure?.Invoke(clientOptions);
        var connection = StorageConnection.Resolve(_configuration, outbox.Connection, "queue");
        return connection.ConnectionString is { } connectionString
            ? new QueueServiceClient(connectionString, clientOptions)
            : new QueueServiceClient(connection.ServiceUri, connection.Credential, clientOptions);
    }
}
