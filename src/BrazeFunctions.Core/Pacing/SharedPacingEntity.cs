using Azure;
using Azure.Data.Tables;

namespace BrazeFunctions.Core.Pacing;

/// <summary>
/// One row of the shared pacing table as stored: PartitionKey = the REST host and API key fingerprint
/// (<see cref="BrazeFunctions.Core.Braze.BrazeWorkspace.RateLimitScope"/>), RowKey = the bucket (or a credential pause's
/// scope). Read and written as a typed entity, never by string keys.
/// </summary>
internal sealed class SharedPacingEntity : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary>A monotonic maximum, written only when Braze refuses a request (429, 401, 403).</summary>
    public DateTimeOffset ClosedUntil { get; set; } = DateTimeOffset.UnixEpoch;

    public string? ClosedReason { get; set; }

    /// <summary>The hold was cut short at the relay's bound: one probe request goes first when it ends.</summary>
    public bool ProbeFirst { get; set; }

    /// <summary>The window the grants count in: Braze's reset in epoch seconds.</summary>
    public long Window { get; set; }

    /// <summary>Requests the fleet was granted (or spent outside the ledger) in <see cref="Window"/>.</summary>
    public int Granted { get; set; }
}

/// <summary>What the shared row said when it was read.</summary>
internal sealed record SharedPacingRecord(DateTimeOffset ClosedUntil, string? ClosedReason, bool ProbeFirst, long Window, int Granted, ETag ETag)
{
    public static SharedPacingRecord From(SharedPacingEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return new(entity.ClosedUntil, entity.ClosedReason, entity.ProbeFirst, entity.Window, entity.Granted, entity.ETag);
    }

    public SharedPacingEntity ToEntity(SharedRow row) => new()
    {
        PartitionKey = row.Partition,
        RowKey = row.Row,
        ClosedUntil = ClosedUntil < DateTimeOffset.UnixEpoch ? DateTimeOffset.UnixEpoch : ClosedUntil,
        ClosedReason = ClosedReason,
        ProbeFirst = ProbeFirst,
        Window = Window,
        Granted = Granted,
    };
}
