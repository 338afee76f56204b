using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// The rate-limit state every instance shares, one typed entity per REST host, API key fingerprint and bucket (table
/// <c>relaypacing</c>, see <see cref="SharedPacingEntity"/>):
/// <list type="bullet">
/// <item>closed-until, a monotonic maximum written only when Braze refuses a request (429, 401, 403), so that one
/// instance's 429 holds the others;</item>
/// <item>the requests granted in the current window (window = Braze's reset epoch), claimed in chunks, so that the
/// instances together never spend more than the relay's share of a window.</item>
/// </list>
/// Writes are conditional (ETag) and a write that never landed grants nothing: a claim that lost every race to other
/// instances returns <see cref="LedgerClaimStatus.Contended"/> with no requests, and a closed-until raise that lost them
/// is counted and logged. Reads go through a short cache, and ignore a window further ahead than
/// <see cref="PacingOptions.MaxRateLimitHold"/>. When the store fails, it reports itself unavailable for a cool-down and
/// the pacer keeps delivering on its per-instance state.
/// </summary>
internal sealed class SharedPacingStore(RelayTables tables, TimeProvider time, IOptions<PacingOptions> options, RelayMetrics metrics, ILogger<SharedPacingStore> logger)
    : IHealthCheck
{
    private static readonly TimeSpan FailureCooldown = TimeSpan.FromSeconds(30);
    private const int MaxWriteAttempts = 4;
    private static readonly SharedPacingRecord Empty = new(DateTimeOffset.UnixEpoch, null, false, 0, 0, default);

    private readonly ConcurrentDictionary<SharedRow, (SharedPacingRecord? Record, long ReadAt)> _cache = new();
    private readonly SemaphoreSlim _tableCreation = new(1, 1);
    private volatile bool _tableExists;
    private long _unavailableUntil;
    private int _inOutage;

    private enum WriteOutcome
    {
        Written,
        Unchanged,
        Contended,
        Failed,
    }

    private string Table => options.Value.SharedPacingTable;

    /// <summary>False while the store is cooling down after a failure: callers pace on their own state meanwhile.</summary>
    public bool IsAvailable => options.Value.SharedPacing && time.GetTimestamp() >= Interlocked.Read(ref _unavailableUntil);

    /// <summary>
    /// The record, at most <paramref name="maxAge"/> (default <see cref="PacingOptions.SharedStateCacheDuration"/>) old;
    /// null when absent or unavailable.
    /// </summary>
    public async ValueTask<SharedPacingRecord?> ReadAsync(SharedRow row, CancellationToken cancellationToken, TimeSpan? maxAge = null)
    {
        if (_cache.TryGetValue(row, out var cached) && time.GetElapsedTime(cached.ReadAt) < (maxAge ?? options.Value.SharedStateCacheDuration))
        {
            return cached.Record;
        }

        return IsAvailable ? await ReadFreshAsync(row, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>
    /// Raises closed-until to <paramref name="until"/> unless a later one is already there; a stored closed-until further
    /// ahead than <paramref name="maxAhead"/> is not believed and is overwritten. False when the raise did not land
    /// (counted and logged).
    /// </summary>
    public async Task<bool> RaiseClosedUntilAsync(SharedRow row, DateTimeOffset until, string reason, bool probeFirst, TimeSpan maxAhead, CancellationToken cancellationToken)
    {
        var outcome = await WriteAsync(row, record =>
        {
            var believed = record is not null && record.ClosedUntil - time.GetUtcNow() <= maxAhead;
            return believed && record!.ClosedUntil >= until
                ? null
                : (record ?? Empty) with { ClosedUntil = until, ClosedReason = reason, ProbeFirst = probeFirst };
        }, cancellationToken).ConfigureAwait(false);
        if (outcome is WriteOutcome.Contended or WriteOutcome.Failed)
        {
            metrics.SharedState("raise", "lost");
            Log.SharedRaiseLost(logger, Table, row.Row, outcome == WriteOutcome.Failed ? "the table failed" : "other instances won every write");
            return false;
        }

        return true;
    }

    /// <summary>
    /// Claims up to <see cref="LedgerClaim.Want"/> requests of the claim's window, never letting the window's grants
    /// exceed its cap; requests this instance already spent in that window without a grant are added first. Grants only
    /// what was written.
    /// </summary>
    public async Task<LedgerClaimResult> ClaimAsync(SharedRow row, LedgerClaim claim, CancellationToken cancellationToken)
    {
        var granted = 0;
        long fleet = 0;
        var outcome = await WriteAsync(row, record =>
        {
            granted = 0;
            var current = record is not null && Believable(record.Window) ? record : null;
            if (current is not null && current.Window > claim.Window)
            {
                fleet = current.Granted;
                return null; // Another instance already moved on to a later window: this one is over.
            }

            var used = (current is not null && current.Window == claim.Window ? current.Granted : 0) + Math.Max(0, claim.AlreadySpent);
            granted = Math.Max(0, Math.Min(claim.Want, claim.Cap - used));
            fleet = used + granted;
            return granted == 0 && claim.AlreadySpent <= 0
                ? null
                : (record ?? Empty) with { Window = claim.Window, Granted = (int)Math.Min(int.MaxValue, used + granted) };
        }, cancellationToken).ConfigureAwait(false);
        return outcome switch
        {
            WriteOutcome.Written => new LedgerClaimResult(LedgerClaimStatus.Written, granted, fleet),
            WriteOutcome.Unchanged => new LedgerClaimResult(LedgerClaimStatus.Unchanged, 0, fleet),
            WriteOutcome.Contended => new LedgerClaimResult(LedgerClaimStatus.Contended, 0, 0),
            _ => new LedgerClaimResult(LedgerClaimStatus.Failed, 0, 0),
        };
    }

    /// <summary>The <c>shared_pacing</c> entry of <c>GET /api/health/details</c>: whether the shared table answers, without creating it.</summary>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        if (!options.Value.SharedPacing)
        {
            return HealthCheckResult.Healthy(data: new Dictionary<string, object> { ["enabled"] = false });
        }

        try
        {
            // A point read of a key that never exists: proves the table service answers without creating anything.
            await GetTable().GetEntityIfExistsAsync<SharedPacingEntity>("health", "probe", cancellationToken: cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy(data: new Dictionary<string, object> { ["enabled"] = true, ["table"] = Table });
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return HealthCheckResult.Healthy(data: new Dictionary<string, object> { ["enabled"] = true, ["table"] = Table, ["created"] = false });
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            return HealthCheckResult.Unhealthy($"The shared rate-limit table is not reachable ({StorageFailure.Describe(ex)}); instances pace on their own answers meanwhile.",
                data: new Dictionary<string, object> { ["enabled"] = true, ["table"] = Table });
        }
    }

    /// <summary>A window further ahead than the longest hold is not believed: one hostile reset must not stall the fleet.</summary>
    private bool Believable(long window) => window - time.GetUtcNow().ToUnixTimeSeconds() <= (long)options.Value.MaxRateLimitHold.TotalSeconds;

    private async Task<SharedPacingRecord?> ReadFreshAsync(SharedRow row, CancellationToken cancellationToken)
    {
        try
        {
            var response = await GetTable().GetEntityIfExistsAsync<SharedPacingEntity>(row.Partition, row.Row, cancellationToken: cancellationToken).ConfigureAwait(false);
            var record = response.HasValue ? SharedPacingRecord.From(response.Value!) : null;
            _cache[row] = (record, time.GetTimestamp());
            Succeeded("read");
            return record;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            _cache[row] = (null, time.GetTimestamp());
            Succeeded("read");
            return null;
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            Failed("read", ex);
            return null;
        }
    }

    /// <summary>Read-modify-write with the record's ETag, decided again on each conflict; null from <paramref name="change"/> means nothing to write.</summary>
    private async Task<WriteOutcome> WriteAsync(SharedRow row, Func<SharedPacingRecord?, SharedPacingRecord?> change, CancellationToken cancellationToken)
    {
        if (!IsAvailable)
        {
            return WriteOutcome.Failed;
        }

        try
        {
            await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
            var record = _cache.TryGetValue(row, out var cached) ? cached.Record : await ReadFreshAsync(row, cancellationToken).ConfigureAwait(false);
            for (var attempt = 1; attempt <= MaxWriteAttempts; attempt++)
            {
                if (change(record) is not { } next)
                {
                    return WriteOutcome.Unchanged;
                }

                if (await TryWriteAsync(row, record, next, cancellationToken).ConfigureAwait(false))
                {
                    return WriteOutcome.Written;
                }

                // Another instance wrote first (or deleted the row): read what it wrote and decide again.
                metrics.SharedState("write", "conflict");
                record = await ReadFreshAsync(row, cancellationToken).ConfigureAwait(false);
                if (!IsAvailable)
                {
                    return WriteOutcome.Failed;
                }
            }

            metrics.SharedState("write", "contended");
            return WriteOutcome.Contended;
        }
        catch (Exception ex) when (StorageFailure.Is(ex, cancellationToken))
        {
            Failed("write", ex);
            return WriteOutcome.Failed;
        }
    }

    /// <summary>One conditional write; false when another instance's write came first.</summary>
    private async Task<bool> TryWriteAsync(SharedRow row, SharedPacingRecord? current, SharedPacingRecord next, CancellationToken cancellationToken)
    {
        var entity = next.ToEntity(row);
        try
        {
            var table = GetTable();
            var response = current is null
                ? await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false)
                : await table.UpdateEntityAsync(entity, current.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            _cache[row] = (next with { ETag = response.Headers.ETag ?? default }, time.GetTimestamp());
            Succeeded("write");
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412 or 404)
        {
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

    private TableClient GetTable() => tables.GetTable(Table);

    private void Succeeded(string operation)
    {
        metrics.SharedState(operation, "ok");
        if (Interlocked.Exchange(ref _inOutage, 0) == 1)
        {
            Log.SharedPacingRestored(logger, Table);
        }
    }

    private void Failed(string operation, Exception ex)
    {
        metrics.SharedState(operation, "failed");
        Interlocked.Exchange(ref _unavailableUntil, time.GetTimestamp() + (long)(FailureCooldown.TotalSeconds * time.TimestampFrequency));
        _cache.Clear();
        if (Interlocked.Exchange(ref _inOutage, 1) == 0)
        {
            // Once per outage, not once per request.
            Log.SharedPacingUnavailable(logger, Table, StorageFailure.Describe(ex), FailureCooldown.TotalSeconds);
        }
    }
}
