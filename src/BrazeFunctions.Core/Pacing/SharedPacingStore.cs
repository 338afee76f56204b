using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Pacing;

/// <summary>What the shared record said when it was read.</summary>
internal sealed record SharedPacingRecord(DateTimeOffset ClosedUntil, string? ClosedReason, long Window, int Granted, ETag ETag);

/// <summary>
/// The rate-limit state every instance shares, one table entity per workspace and family (table <c>relaypacing</c>):
/// <list type="bullet">
/// <item>closed-until, a monotonic maximum written only when Braze refuses a request (429, 401, 403), so that one
/// instance's 429 holds the others;</item>
/// <item>the request budget granted in the current window (window = Braze's reset epoch), claimed in chunks, so that
/// the instances together never spend more than the relay's share of a window.</item>
/// </list>
/// Remaining is never written per answer. Reads go through a short cache; writes are conditional (ETag). When the store
/// fails, it reports itself unavailable for a cool-down and the pacer keeps delivering on its per-instance state.
/// </summary>
internal sealed class SharedPacingStore : IRelayHealthCheck
{
    private static readonly TimeSpan FailureCooldown = TimeSpan.FromSeconds(30);
    private const int MaxWriteAttempts = 4;

    private readonly RelayTables _tables;
    private readonly TimeProvider _time;
    private readonly IOptions<PacingOptions> _options;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<SharedPacingStore> _logger;
    private readonly ConcurrentDictionary<PaceKey, (SharedPacingRecord? Record, long ReadAt)> _cache = new();
    private readonly SemaphoreSlim _tableCreation = new(1, 1);
    private volatile bool _tableExists;
    private long _unavailableUntil;
    private int _inOutage;

    public SharedPacingStore(RelayTables tables, TimeProvider time, IOptions<PacingOptions> options, RelayMetrics metrics, ILogger<SharedPacingStore> logger)
    {
        _tables = tables;
        _time = time;
        _options = options;
        _metrics = metrics;
        _logger = logger;
    }

    public string Name => "shared_pacing";

    private string Table => _options.Value.SharedPacingTable;

    /// <summary>False while the store is cooling down after a failure: callers pace on their own state meanwhile.</summary>
    public bool IsAvailable => _options.Value.SharedPacing && _time.GetTimestamp() >= Interlocked.Read(ref _unavailableUntil);

    /// <summary>
    /// The record, at most <paramref name="maxAge"/> (default <see cref="PacingOptions.SharedStateCacheDuration"/>) old;
    /// null when absent or unavailable.
    /// </summary>
    public async ValueTask<SharedPacingRecord?> ReadAsync(PaceKey key, CancellationToken cancellationToken, TimeSpan? maxAge = null)
    {
        if (_cache.TryGetValue(key, out var cached) && _time.GetElapsedTime(cached.ReadAt) < (maxAge ?? _options.Value.SharedStateCacheDuration))
        {
            return cached.Record;
        }

        if (!IsAvailable)
        {
            return null;
        }

        return await ReadFreshAsync(key, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Raises closed-until to <paramref name="until"/> unless a later one is already there.</summary>
    public async Task RaiseClosedUntilAsync(PaceKey key, DateTimeOffset until, string reason, CancellationToken cancellationToken)
    {
        await WriteAsync(key, record => record is not null && record.ClosedUntil >= until
                ? null
                : Entity(key, until, reason, record?.Window ?? 0, record?.Granted ?? 0),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Claims up to <paramref name="want"/> requests of window <paramref name="window"/>, never letting the window's grants
    /// exceed <paramref name="cap"/>; <paramref name="alreadySpent"/> requests this instance sent in that window without a
    /// grant (probes, local-only sends) are added first. Returns the number granted (0 when the window is spent or already
    /// over), or null when the store failed.
    /// </summary>
    public async Task<int?> ClaimAsync(PaceKey key, long window, int want, int cap, int alreadySpent, CancellationToken cancellationToken)
    {
        var granted = 0;
        var written = await WriteAsync(key, record =>
        {
            granted = 0;
            if (record is not null && record.Window > window)
            {
                return null; // Another instance already moved on to a later window: this one is over.
            }

            var used = (record is not null && record.Window == window ? record.Granted : 0) + Math.Max(0, alreadySpent);
            granted = Math.Max(0, Math.Min(want, cap - used));
            return granted == 0 && alreadySpent <= 0 ? null : Entity(key, record?.ClosedUntil ?? DateTimeOffset.MinValue, record?.ClosedReason, window, used + granted);
        }, cancellationToken).ConfigureAwait(false);
        return written ? granted : null;
    }

    public async Task<RelayHealthResult> CheckAsync(CancellationToken cancellationToken)
    {
        if (!_options.Value.SharedPacing)
        {
            return new RelayHealthResult(true, null, new Dictionary<string, object?> { ["enabled"] = false });
        }

        try
        {
            // A point read of a key that never exists: proves the table service answers without creating anything.
            var table = _tables.GetTable(Table);
            await table.GetEntityIfExistsAsync<TableEntity>("health", "probe", cancellationToken: cancellationToken).ConfigureAwait(false);
            return new RelayHealthResult(true, null, new Dictionary<string, object?> { ["enabled"] = true, ["table"] = Table });
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return new RelayHealthResult(true, null, new Dictionary<string, object?> { ["enabled"] = true, ["table"] = Table, ["created"] = false });
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            return new RelayHealthResult(false, $"The shared rate-limit table is not reachable ({StorageFailure.Describe(ex)}); instances pace on their own answers meanwhile.",
                new Dictionary<string, object?> { ["enabled"] = true, ["table"] = Table });
        }
    }

    private async Task<SharedPacingRecord?> ReadFreshAsync(PaceKey key, CancellationToken cancellationToken)
    {
        try
        {
            var response = await GetTable().GetEntityIfExistsAsync<TableEntity>(key.Workspace, key.Family, cancellationToken: cancellationToken).ConfigureAwait(false);
            var record = response.HasValue ? ToRecord(response.Value!) : null;
            _cache[key] = (record, _time.GetTimestamp());
            Succeeded("read");
            return record;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            _cache[key] = (null, _time.GetTimestamp());
            Succeeded("read");
            return null;
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            Failed("read", ex);
            return null;
        }
    }

    /// <summary>Read-modify-write with the record's ETag, retried on conflicts. Returns false when the store failed.</summary>
    private async Task<bool> WriteAsync(PaceKey key, Func<SharedPacingRecord?, TableEntity?> change, CancellationToken cancellationToken)
    {
        if (!IsAvailable)
        {
            return false;
        }

        try
        {
            await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
            var table = GetTable();
            var record = _cache.TryGetValue(key, out var cached) ? cached.Record : await ReadFreshAsync(key, cancellationToken).ConfigureAwait(false);
            for (var attempt = 1; attempt <= MaxWriteAttempts; attempt++)
            {
                var entity = change(record);
                if (entity is null)
                {
                    return true;
                }

                try
                {
                    var response = record is null
                        ? await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false)
                        : await table.UpdateEntityAsync(entity, record.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                    entity.ETag = response.Headers.ETag ?? default;
                    _cache[key] = (ToRecord(entity), _time.GetTimestamp());
                    Succeeded("write");
                    return true;
                }
                catch (RequestFailedException ex) when (ex.Status is 409 or 412 or 404)
                {
                    // Another instance wrote first (or deleted the row): read what it wrote and decide again.
                    _metrics.SharedState("write", "conflict");
                    record = await ReadFreshAsync(key, cancellationToken).ConfigureAwait(false);
                    if (!IsAvailable)
                    {
                        return false;
                    }
                }
            }

            return true; // Contended: the other writers' values stand; this change is given up, which is safe for both uses.
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            Failed("write", ex);
            return false;
        }
    }

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (_tableExists)
        {
            return;
        }

        await _tableCreation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_tableExists)
            {
                await GetTable().CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
                _tableExists = true;
            }
        }
        finally
        {
            _tableCreation.Release();
        }
    }

    private TableClient GetTable() => _tables.GetTable(Table);


    private void Succeeded(string operation)
    {
        _metrics.SharedState(operation, "ok");
        if (Interlocked.Exchange(ref _inOutage, 0) == 1)
        {
            Log.SharedPacingRestored(_logger, Table);
        }
    }

    private void Failed(string operation, Exception ex)
    {
        _metrics.SharedState(operation, "failed");
        Interlocked.Exchange(ref _unavailableUntil, _time.GetTimestamp() + (long)(FailureCooldown.TotalSeconds * _time.TimestampFrequency));
        _cache.Clear();
        if (Interlocked.Exchange(ref _inOutage, 1) == 0)
        {
            // Once per outage, not once per request.
            Log.SharedPacingUnavailable(_logger, Table, StorageFailure.Describe(ex), FailureCooldown.TotalSeconds);
        }
    }

    private static TableEntity Entity(PaceKey key, DateTimeOffset closedUntil, string? reason, long window, int granted) => new(key.Workspace, key.Family)
    {
        ["ClosedUntil"] = closedUntil == DateTimeOffset.MinValue ? DateTimeOffset.UnixEpoch : closedUntil,
        ["ClosedReason"] = reason,
        ["Window"] = window,
        ["Granted"] = granted,
    };

    private static SharedPacingRecord ToRecord(TableEntity entity) => new(
        entity.GetDateTimeOffset("ClosedUntil") ?? DateTimeOffset.UnixEpoch,
        entity.GetString("ClosedReason"),
        entity.GetInt64("Window") ?? 0,
        entity.GetInt32("Granted") ?? 0,
        entity.ETag);

}
