using System.Diagnostics.Metrics;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>What one write of trace records cost and achieved.</summary>
internal sealed record TraceWriteResult(int Transactions, int Written, int Failed);

/// <summary>
/// <c>relay.trace.operations{operation,result}</c> (its cost in table operations) and <c>relay.trace.records{result}</c>
/// (written, failed, dropped): trace records are best-effort, so losing some shows here and nowhere else.
/// </summary>
internal sealed class TraceMetrics
{
    private readonly Counter<long> _operations;
    private readonly Counter<long> _records;

    public TraceMetrics(RelayMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _operations = metrics.Meter.CreateCounter<long>("relay.trace.operations", "{operation}",
            "Table operations of the trace records (transaction, read, create_table, drop_table), by result: ok, failed.");
        _records = metrics.Meter.CreateCounter<long>("relay.trace.records", "{record}",
            "Trace records by result: written, failed (storage refused the write), dropped (the buffer was full).");
    }

    public void Operation(string operation, string result) =>
        _operations.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("result", result));

    public void Records(string result, int count)
    {
        if (count > 0)
        {
            _records.Add(count, new KeyValuePair<string, object?>("result", result));
        }
    }
}

/// <summary>
/// The trace records in Table Storage (see <see cref="TraceKeys"/> for the layout). Writes group records by table and
/// partition and send each group as entity-group transactions of up to 100 upserts; a group that fails is counted and
/// skipped, never retried and never thrown: nothing about a delivery depends on its record.
/// </summary>
internal sealed class TraceStore(RelayTables tables, IOptions<TraceOptions> options, TimeProvider time, TraceMetrics metrics, ILogger<TraceStore> logger)
{
    private const int MaxTransactionSize = 100;
    private const int MaxTextLength = 200;

    public bool Enabled => options.Value.Enabled;

    public async Task<TraceWriteResult> WriteAsync(IEnumerable<TraceRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var prefix = options.Value.TablePrefix;
        var keyed = records
            .Select(r => (Record: r, Id: TraceKeys.Normalize(r.MessageId)))
            .Where(r => r.Id is not null)
            .Select(r => (r.Record, Id: r.Id!, Table: TraceKeys.Table(prefix, r.Id!), Partition: TraceKeys.Partition(r.Id!)));
        int transactions = 0, written = 0, failed = 0;
        foreach (var group in keyed.GroupBy(r => (r.Table, r.Partition)))
        {
            var entities = group
                .Select(r => ToEntity(r.Partition, r.Id, r.Record))
                .DistinctBy(e => e.RowKey, StringComparer.Ordinal)
                .ToList();
            foreach (var chunk in entities.Chunk(MaxTransactionSize))
            {
                try
                {
                    await SubmitAsync(group.Key.Table, chunk, cancellationToken).ConfigureAwait(false);
                    transactions++;
                    written += chunk.Length;
                }
                catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
                {
                    failed += chunk.Length;
                    Log.TraceWriteFailed(logger, group.Key.Table, chunk.Length, StorageFailure.Describe(ex));
                }
            }
        }

        metrics.Records("written", written);
        metrics.Records("failed", failed);
        return new TraceWriteResult(transactions, written, failed);
    }

    /// <summary>Every record of one message, oldest first; empty when the id is not a UUIDv7 or nothing was recorded.</summary>
    /// <exception cref="RequestFailedException">Storage answered with an error other than "table not found".</exception>
    public async Task<IReadOnlyList<TraceRecord>> ReadAsync(string messageId, CancellationToken cancellationToken)
    {
        if (TraceKeys.Normalize(messageId) is not { } id)
        {
            return [];
        }

        var (from, to) = TraceKeys.RowRange(id);
        var table = tables.GetTable(TraceKeys.Table(options.Value.TablePrefix, id));
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {TraceKeys.Partition(id)} and RowKey ge {from} and RowKey lt {to}");
        var found = new List<TraceRecord>();
        try
        {
            await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                // A record of a kind this version does not know (written by a newer one) is left out, not misread.
                if (FromEntity(id, entity) is { } record)
                {
                    found.Add(record);
                }
            }

            metrics.Operation("read", "ok");
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            metrics.Operation("read", "ok");
        }

        return [.. found.OrderBy(r => r.At)];
    }

    /// <summary>Drops the daily tables older than <see cref="TraceOptions.Retention"/>; returns their names.</summary>
    public async Task<IReadOnlyList<string>> DropExpiredTablesAsync(CancellationToken cancellationToken)
    {
        var prefix = options.Value.TablePrefix;
        var oldestKept = TraceKeys.TableFor(prefix, (time.GetUtcNow() - options.Value.Retention).UtcDateTime.Date);
        var dropped = new List<string>();
        await foreach (var table in tables.Service.QueryAsync(t => t.Name.CompareTo(prefix) >= 0 && t.Name.CompareTo(oldestKept) < 0, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (table.Name.Length == prefix.Length + 8 && table.Name.StartsWith(prefix, StringComparison.Ordinal)
                && DateTime.TryParseExact(table.Name[prefix.Length..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                await tables.Service.DeleteTableAsync(table.Name, cancellationToken).ConfigureAwait(false);
                metrics.Operation("drop_table", "ok");
                dropped.Add(table.Name);
                Log.TraceTableDropped(logger, table.Name);
            }
        }

        return dropped;
    }

    private async Task SubmitAsync(string tableName, IReadOnlyList<TableEntity> entities, CancellationToken cancellationToken)
    {
        var table = tables.GetTable(tableName);
        var actions = entities.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)).ToList();
        try
        {
            await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            metrics.Operation("transaction", "ok");
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // The day's first record: create its table, then try once more.
            metrics.Operation("transaction", "failed");
            await table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            metrics.Operation("create_table", "ok");
            await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            metrics.Operation("transaction", "ok");
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            metrics.Operation("transaction", "failed");
            throw;
        }
    }

    private static TableEntity ToEntity(string partition, string id, TraceRecord record) =>
        new(partition, TraceKeys.RowKey(id, record.At, record.Event))
        {
            ["Event"] = record.Event.ToString(),
            ["At"] = record.At,
            ["Route"] = record.Route,
            ["Reason"] = Shorten(record.Reason),
            ["Status"] = record.Status,
            ["BatchSize"] = record.BatchSize,
            ["Until"] = record.Until,
            ["Endpoint"] = record.Endpoint,
            ["Workspace"] = record.Workspace,
            ["Attempt"] = record.Attempt,
        };

    private static TraceRecord? FromEntity(string id, TableEntity entity) =>
        !Enum.TryParse<TraceEvent>(entity.GetString("Event"), out var traceEvent) || !Enum.IsDefined(traceEvent) || entity.GetDateTimeOffset("At") is not { } at ? null : new(id, traceEvent, at)
        {
            Route = entity.GetString("Route"),
            Reason = entity.GetString("Reason"),
            Status = entity.GetInt32("Status"),
            BatchSize = entity.GetInt32("BatchSize"),
            Until = entity.GetDateTimeOffset("Until"),
            Endpoint = entity.GetString("Endpoint"),
            Workspace = entity.GetString("Workspace"),
            Attempt = entity.GetInt32("Attempt"),
        };

    private static string? Shorten(string? text) => text is null || text.Length <= MaxTextLength ? text : text[..MaxTextLength] + "…";
}
