using Azure;
using Azure.Data.Tables;

namespace BrazeFunctions.Core.Idempotency;

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

    /// <summary>
    /// Dispatch: its request's outcome is unknown and the message that sent it is in the dead-letter queue, so nobody sends
    /// it any more: a later copy need not wait out the claim's lease.
    /// </summary>
    public const string DeadLettered = "dead_lettered";
}

/// <summary>
/// One stored record, with the ETag that conditional updates and deletes use. <see cref="Owner"/> is the envelope (or
/// ingress message) id; <see cref="Token"/> names the one attempt that wrote it, so a writer recognises its own write
/// (a retried insert that had landed) and tells it apart from another copy of the same envelope. Records written before
/// tokens existed have none.
/// </summary>
internal sealed record IdempotencyRecord(string Table, string PartitionKey, string RowKey, string State, string Owner, string? Token, DateTimeOffset Since, ETag ETag)
{
    /// <summary>True when this record was written by the attempt that holds <paramref name="token"/>.</summary>
    public bool WrittenBy(string? token) => token is not null && string.Equals(Token, token, StringComparison.Ordinal);
}

/// <summary>The table entity of a record.</summary>
internal sealed class IdempotencyEntity : ITableEntity
{
    public string PartitionKey { get; set; } = string.Empty;

    public string RowKey { get; set; } = string.Empty;

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string State { get; set; } = string.Empty;

    public string Owner { get; set; } = string.Empty;

    public string? Token { get; set; }

    public DateTimeOffset Since { get; set; }

    public IdempotencyRecord ToRecord(string table) => new(table, PartitionKey, RowKey, State, Owner, Token, Since, ETag);
}

/// <summary>The store could not be reached or answered an unexpected error; the caller applies its fallback.</summary>
internal sealed class IdempotencyStoreUnavailableException(string message, Exception innerException) : Exception(message, innerException);
