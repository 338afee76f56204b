using System.Globalization;
using Azure;
using Azure.Data.Tables;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Idempotency;

/// <summary>
/// The records that keep a delivery from reaching Braze twice, in Azure Table Storage. Table Storage has no time-to-live
/// and cannot delete a partition, so records live in one table per UTC day (<c>dedupe&lt;yyyyMMdd&gt;</c>), chosen by the
/// caller's table time (the message's receipt, or its replay: every copy of a message finds the same table, and a table
/// is never re-created for a day the cleanup already dropped) and dropped whole once older than the window. Keys come
/// from <see cref="IdempotencyKeys"/>. Every write carries its attempt's token, and every record keeps the ETag that
/// later conditional updates and deletes use: a write answered without one is read back, never made unconditional.
/// </summary>
internal sealed class IdempotencyStore(RelayTables tables, TimeProvider time, IOptions<IdempotencyOptions> options, RelayMetrics metrics, ILogger<IdempotencyStore> logger)
{
    public bool Enabled => options.Value.Enabled;

    /// <summary>
    /// Inserts a record into the table of <paramref name="tableTime"/>'s UTC day unless one exists for the same kind, route
    /// and key; returns the record found or inserted. Near midnight UTC the previous day's table is checked first (see
    /// <see cref="IdempotencyOptions.BoundaryLookback"/>). A conflict with a record carrying <paramref name="token"/> is this
    /// attempt's own insert (the SDK retried one that had landed) and counts as inserted.
    /// </summary>
    /// <exception cref="IdempotencyStoreUnavailableException">Storage failed.</exception>
    public async Task<(IdempotencyRecord Record, bool Inserted)> InsertAsync(
        RecordKind kind, string route, string key, DateTimeOffset tableTime, string owner, string token, string state, CancellationToken cancellationToken)
    {
        var (partition, row) = IdempotencyKeys.For(kind, route, key);
        var day = tableTime.UtcDateTime.Date;
        try
        {
            if (tableTime.UtcDateTime - day < options.Value.BoundaryLookback
                && await GetAsync(TableName(day.AddDays(-1)), partition, row, cancellationToken).ConfigureAwait(false) is { } earlier)
            {
                return (earlier, false);
            }

            var table = TableName(day);
            var entity = NewEntity(partition, row, state, owner, token);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var response = await RunAsync(table, t => t.AddEntityAsync(entity, cancellationToken), "insert", cancellationToken).ConfigureAwait(false);
                    var written = await WithETagAsync(table, entity, response, cancellationToken).ConfigureAwait(false);
                    return (written, written.WrittenBy(token));
                }
                catch (RequestFailedException ex) when (ex.Status == 409 && attempt == 1)
                {
                    if (await GetAsync(table, partition, row, cancellationToken).ConfigureAwait(false) is { } existing)
                    {
                        return (existing, existing.WrittenBy(token));
                    }

                    // Deleted between the insert and the read: the key is free again; insert once more.
                }
            }
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>
    /// The record for the kind, route and key in the table of <paramref name="tableTime"/>'s UTC day (or, near midnight, the
    /// day before); null when there is none. Reads only: a missing table is no record, and is not created.
    /// </summary>
    /// <exception cref="IdempotencyStoreUnavailableException">Storage failed.</exception>
    public async Task<IdempotencyRecord?> FindAsync(RecordKind kind, string route, string key, DateTimeOffset tableTime, CancellationToken cancellationToken)
    {
        var (partition, row) = IdempotencyKeys.For(kind, route, key);
        var day = tableTime.UtcDateTime.Date;
        try
        {
            return await GetAsync(TableName(day), partition, row, cancellationToken).ConfigureAwait(false)
                ?? (tableTime.UtcDateTime - day < options.Value.BoundaryLookback
                    ? await GetAsync(TableName(day.AddDays(-1)), partition, row, cancellationToken).ConfigureAwait(false)
                    : null);
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            throw Unavailable(ex);
        }
    }

    /// <summary>Replaces a record if it is unchanged since read; null when someone else changed or removed it first.</summary>
    /// <exception cref="IdempotencyStoreUnavailableException">Storage failed.</exception>
    public async Task<IdempotencyRecord?> ReplaceAsync(IdempotencyRecord record, string state, string owner, string token, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var entity = NewEntity(record.PartitionKey, record.RowKey, state, owner, token);
        try
        {
            var response = await RunAsync(record.Table, t => t.UpdateEntityAsync(entity, record.ETag, TableUpdateMode.Replace, cancellationToken), "update", cancellationToken).ConfigureAwait(false);
            var written = await WithETagAsync(record.Table, entity, response, cancellationToken).ConfigureAwait(false);
            return written.WrittenBy(token) ? written : null;
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

    /// <summary>
    /// When the records of a day are dropped: the cleanup keeps the window's days and the day before them, so a record of
    /// <paramref name="tableTime"/>'s day is gone at the latest this long after midnight of the day after it.
    /// </summary>
    public DateTimeOffset RecordsDroppedAfter(DateTimeOffset tableTime) =>
        new DateTimeOffset(tableTime.UtcDateTime.Date, TimeSpan.Zero) + options.Value.Window + TimeSpan.FromDays(2);

    internal string TableName(DateTime utcDay) => options.Value.TablePrefix + utcDay.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private IdempotencyEntity NewEntity(string partition, string row, string state, string owner, string token) =>
        new() { PartitionKey = partition, RowKey = row, State = state, Owner = owner, Token = token, Since = time.GetUtcNow() };

    /// <summary>
    /// The record as written, with the ETag of the answer. An answer without one (a proxy, an emulator) is read back: a
    /// record without its ETag would make the later delete or update unconditional and remove someone else's claim.
    /// </summary>
    private async Task<IdempotencyRecord> WithETagAsync(string table, IdempotencyEntity entity, Response response, CancellationToken cancellationToken)
    {
        if (response.Headers.ETag is { } etag)
        {
            return entity.ToRecord(table) with { ETag = etag };
        }

        return await GetAsync(table, entity.PartitionKey, entity.RowKey, cancellationToken).ConfigureAwait(false)
            ?? throw new RequestFailedException(0, $"The table service answered a write to {table} without an ETag, and the record could not be read back.");
    }

    private async Task<IdempotencyRecord?> GetAsync(string table, string partition, string row, CancellationToken cancellationToken)
    {
        try
        {
            var response = await tables.GetTable(table).GetEntityIfExistsAsync<IdempotencyEntity>(partition, row, cancellationToken: cancellationToken).ConfigureAwait(false);
            metrics.IdempotencyOperation("read");
            return response.HasValue ? response.Value!.ToRecord(table) : null;
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

    private static IdempotencyStoreUnavailableException Unavailable(Exception ex)
    {
        var detail = ex is RequestFailedException failed ? $"{failed.Status} {failed.ErrorCode}" : ex.GetType().Name;
        return new IdempotencyStoreUnavailableException($"The idempotency store is unavailable ({detail}).", ex);
    }
}
