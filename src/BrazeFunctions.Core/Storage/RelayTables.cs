using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Storage;

/// <summary>
/// The table service of the relay's storage account (the idempotency records and the shared rate-limit state), from the
/// same connection setting as the queues: a connection string, or identity-based settings with
/// <c>AzureWebJobsStorage__tableServiceUri</c> (or <c>__accountName</c>).
/// </summary>
internal sealed class RelayTables
{
    private readonly Lazy<TableServiceClient> _service;

    public RelayTables(IConfiguration configuration, IOptions<OutboxOptions> options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);
        // Built on first use: a deployment whose tables are unreachable still starts, and the stores fall back as documented.
        _service = new Lazy<TableServiceClient>(() => Create(configuration, options.Value));
    }

    /// <summary>A table service built elsewhere (tests inject storage faults through its pipeline).</summary>
    internal RelayTables(TableServiceClient service)
    {
        _service = new Lazy<TableServiceClient>(() => service);
    }

    public TableServiceClient Service => _service.Value;

    public TableClient GetTable(string name) => Service.GetTableClient(name);

    private static TableServiceClient Create(IConfiguration configuration, OutboxOptions outbox)
    {
        var clientOptions = new TableClientOptions();
        StorageConnection.ApplyRetryPolicy(clientOptions.Retry, outbox);
        StorageConnection.ApplyTransport(clientOptions, outbox);

        var connection = StorageConnection.Resolve(configuration, outbox.Connection, "table");
        return connection.ConnectionString is { } connectionString
            ? new TableServiceClient(connectionString, clientOptions)
            : new TableServiceClient(connection.ServiceUri, connection.Credential, clientOptions);
    }
}
