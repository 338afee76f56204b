using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Idempotency;

/// <summary>Which record: a webhook seen at the ingress (by its Idempotency-Key header) or a delivery claimed at dispatch.</summary>
internal enum RecordKind
{
    Webhook,
    Delivery,
}

/// <summary>The states a record goes through.</summary>
internal static class RecordState
{
    /// <summary>Ingress: the webhook is being queued.</summary>
    public const string Pending = "pending";

    /// <summary>Ingress: the webhook is on the outbox.</summary>
    public const string Queued = "queued";

    /// <summary>Dispatch: a request carrying this delivery is being sent (or its outcome is unknown).</summary>
    public const string Sending = "sending";

    /// <summary>Dispatch: Braze accepted it.</summary>
    public const string Delivered = "delivered";
}

/// <summary>One stored record, with the ETag that conditional updates and deletes use.</summary>
internal sealed record IdempotencyRecord(string Table, string PartitionKey, string RowKey, string State, string Owner, DateTimeOffset Since, ETag ETag);

/// <summary>The store could not be reached or answered an unexpected error; the caller applies its fallback.</summary>
internal sealed class IdempotencyStoreUnavailableException(string message, Exception innerException) : Exception(message, innerException);

/// <summary>
/// The records that keep a delivery from reaching Braze twice, in Azure Table Storage. Table Storage has no time-to-live
/// and cannot delete a partition, so records live in one table per UTC day (<c>dedupe&lt;yyyyMMdd&gt;</c>), chosen by the
/// message's receipt time (every copy of a message, redelivered or re-queued, finds the same table) and dropped whole
/// once older than the window. PartitionKey is a hash prefix of route|key (spreading load), RowKey the kind, route and
/// key (hashed when the key has characters Table Storage refuses in keys, or is long).
/// </summary>
internal sealed class IdempotencyStore(RelayTables tables, TimeProvider time, IOptions<IdempotencyOptions> options, RelayMetrics metrics, ILogger<IdempotencyStore> logger)
{
    public bool Enabled => options.Value.Enabled;

    /// <summary>
    /// Inserts a record unless one exists for the same kind, route and key; returns the record found or inserted.
    /// Near midnight UTC the previous day's table is checked first (see <see cref="IdempotencyOptions.BoundaryLookback"/>).
    /// </summary>
    /// <exception cref="IdempotencyStoreUnavailableException">Storage failed.</exception>
    public async Task<(IdempotencyRecord Record, bool Inserted)> InsertAsync(
        RecordKind kind, string route, string key, DateTimeOffset receivedAt, string owner, string state, CancellationToken cancellationToken)
    {
        var (partition, row) = Keys(kind, route, key);
        var day = receivedAt.UtcDateTime.Date;
        try
        {
            if (receivedAt.UtcDateTime - day < options.Value.BoundaryLookback)
            {
                var earlier = await GetAsync(TableName(day.AddDays(-1)), partition, row, cancellationToken).ConfigureAwait(false);
                if (earlier is not null)
                {
                    return (earlier, false);
                }
            }

            var table = TableName(day);
            var now = time.GetUtcNow();
            var entity = new TableEntity(partition, row) { ["State"] = state, ["Owner"] = owner, ["Since"] = now };
            try
            {
                var response = await RunAsync(table, t => t.AddEntityAsync(entity, cancellationToken), "insert", cancellationToken).ConfigureAwait(false);
                return (new IdempotencyRecord(table, partition, row, state, owner, now, response.Headers.ETag ?? default), true);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                var existing = await GetAsync(table, partition, row, cancellationToken).ConfigureAwait(false);
                if (existing is not null)
                {
                    return (existing, false);
                }

                // Deleted between the insert and the read: the key is free again.
                var retry = await RunAsync(table, t => t.AddEntityAsync(entity, cancellationToken), "insert", cancellationToken).ConfigureAwait(false);
                return (new IdempotencyRecord(table, partition, row, state, owner, now, retry.Headers.ETag ?? default), true);
            }
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Replaces a record if it is unchanged since read; null when someone else changed or removed it first.</summary>
    /// <exception cref="IdempotencyStoreUnavailableException">Storage failed.</exception>
    public async Task<IdempotencyRecord?> ReplaceAsync(IdempotencyRecord record, string state, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var now = time.GetUtcNow();
        var entity = new TableEntity(record.PartitionKey, record.RowKey) { ["State"] = state, ["Owner"] = owner, ["Since"] = now };
        try
        {
            var response = await RunAsync(record.Table, t => t.UpdateEntityAsync(entity, record.ETag, TableUpdateMode.Replace, cancellationToken), "update", cancellationToken).ConfigureAwait(false);
            return record with { State = state, Owner = owner, Since = now, ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return null;
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Deletes a record if it is unchanged since read; false when someone else changed or removed it first.</summary>
    /// <exception cref="IdempotencyStoreUnavailableException">Storage failed.</exception>
    public async Task<bool> DeleteAsync(IdempotencyRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            await RunAsync(record.Table, t => t.DeleteEntityAsync(record.PartitionKey, record.RowKey, record.ETag, cancellationToken), "delete", cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return false;
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Drops the daily tables older than the window (and the day before it, which boundary lookups may still read).</summary>
    public async Task<IReadOnlyList<string>> DropExpiredTablesAsync(CancellationToken cancellationToken)
    {
        var prefix = options.Value.TablePrefix;
        var oldestKept = TableName(time.GetUtcNow().UtcDateTime.Date - options.Value.Window - TimeSpan.FromDays(1));
        var dropped = new List<string>();
        await foreach (var table in tables.Service.QueryAsync(t => t.Name.CompareTo(prefix) >= 0 && t.Name.CompareTo(oldestKept) < 0, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (table.Name.Length == prefix.Length + 8 && table.Name.StartsWith(prefix, StringComparison.Ordinal)
                && DateTime.TryParseExact(table.Name[prefix.Length..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                await tables.Service.DeleteTableAsync(table.Name, cancellationToken).ConfigureAwait(false);
                dropped.Add(table.Name);
                Log.IdempotencyTableDropped(logger, table.Name);
            }
        }

        return dropped;
    }

    internal string TableName(DateTime utcDay) => options.Value.TablePrefix + utcDay.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>PartitionKey: two hex digits of SHA-256(route|key). RowKey: kind|route|key, the key hashed when unsafe or long.</summary>
    internal static (string PartitionKey, string RowKey) Keys(RecordKind kind, string route, string key)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(route + "|" + key)));
        var safe = key.Length <= 512 && key.All(c => c >= 0x20 && c is not ('/' or '\\' or '#' or '?') && (c < 0x7F || c > 0x9F));
        return (hash[..2], (kind == RecordKind.Webhook ? "w|" : "d|") + route + "|" + (safe ? key : "sha256-" + hash));
    }

    private async Task<IdempotencyRecord?> GetAsync(string table, string partition, string row, CancellationToken cancellationToken)
    {
        try
        {
            var response = await tables.GetTable(table).GetEntityIfExistsAsync<TableEntity>(partition, row, cancellationToken: cancellationToken).ConfigureAwait(false);
            metrics.IdempotencyOperation("read");
            if (!response.HasValue)
            {
                return null;
            }

            var entity = response.Value!;
            return new IdempotencyRecord(table, partition, row, entity.GetString("State") ?? string.Empty, entity.GetString("Owner") ?? string.Empty,
                entity.GetDateTimeOffset("Since") ?? DateTimeOffset.MinValue, entity.ETag);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            metrics.IdempotencyOperation("read");
            return null; // The day's table does not exist: no record.
        }
    }

    /// <summary>Runs one operation, creating the day's table on its first use.</summary>
    private async Task<Response> RunAsync(string table, Func<TableClient, Task<Response>> operation, string name, CancellationToken cancellationToken)
    {
        var client = tables.GetTable(table);
        try
        {
            var response = await operation(client).ConfigureAwait(false);
            metrics.IdempotencyOperation(name);
            return response;
        }
        catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == "TableNotFound" && name == "insert")
        {
            metrics.IdempotencyOperation(name);
            await client.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            var response = await operation(client).ConfigureAwait(false);
            metrics.IdempotencyOperation(name);
            return response;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412 or 404)
        {
            metrics.IdempotencyOperation(name);
            throw;
        }
    }

    private IdempotencyStoreUnavailableException Unavailable(Exception ex)
    {
        var detail = ex is RequestFailedException failed ? $"{failed.Status} {failed.ErrorCode}" : ex.GetType().Name;
        return new IdempotencyStoreUnavailableException($"The idempotency store is unavailable ({detail}).", ex);
    }

}
