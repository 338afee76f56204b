using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// The blob container of webhook bodies (the claim-check), from the same connection setting as the queues: a connection
/// string, or identity-based settings with <c>AzureWebJobsStorage__blobServiceUri</c> (or <c>__accountName</c>); the app's
/// identity needs Storage Blob Data Contributor on that container.
/// </summary>
internal sealed class RelayBlobs
{
    private readonly Lazy<BlobContainerClient> _container;

    public RelayBlobs(IConfiguration configuration, IOptions<OutboxOptions> options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        // Built on first use, like the tables: most webhooks never need it.
        _container = new Lazy<BlobContainerClient>(() => Create(configuration, options.Value).GetBlobContainerClient(options.Value.BodyContainer));
    }

    /// <summary>A container client built elsewhere (tests inject storage faults through its pipeline).</summary>
    internal RelayBlobs(BlobContainerClient container)
    {
        _container = new Lazy<BlobContainerClient>(() => container);
    }

    public BlobContainerClient Container => _container.Value;

    private static BlobServiceClient Create(IConfiguration configuration, OutboxOptions outbox)
    {
        var clientOptions = new BlobClientOptions();
        StorageConnection.ApplyRetryPolicy(clientOptions.Retry, outbox);
        StorageConnection.ApplyTransport(clientOptions, outbox);
        var connection = StorageConnection.Resolve(configuration, outbox.Connection, "blob");
        return connection.ConnectionString is { } connectionString
            ? new BlobServiceClient(connectionString, clientOptions)
            : new BlobServiceClient(connection.ServiceUri, connection.Credential, clientOptions);
    }
}
