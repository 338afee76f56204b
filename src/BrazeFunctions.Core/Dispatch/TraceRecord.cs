using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>What one trace record says happened to a message.</summary>
public enum TraceEvent
{
    /// <summary>Braze accepted the request that carried it.</summary>
    Delivered,

    /// <summary>Put back on the outbox with a visibility delay (rate limit, retry schedule, credential pause...).</summary>
    Deferred,

    /// <summary>Moved to the poison queue with a reason.</summary>
    DeadLettered,

    /// <summary>Its template ran <c>abort_message</c>.</summary>
    Aborted,

    /// <summary>Its delivery had already been made by an earlier copy: nothing was sent.</summary>
    Duplicate,

    /// <summary>An operator put it back on the outbox from the poison queue.</summary>
    Replayed,

    /// <summary>An operator removed it from the poison queue.</summary>
    Purged,
}

/// <summary>
/// One step in a message's life, as the relay records it for <c>trace</c>: never a payload value or a key, only what
/// happened, when, and the facts an operator asks first (Braze's status, how many messages the request carried, until
/// when a deferred message waits, the reason code).
/// </summary>
/// <param name="MessageId">The envelope id the ingress returned.</param>
/// <param name="Event">What happened.</param>
/// <param name="At">When it happened.</param>
public sealed record TraceRecord(string MessageId, TraceEvent Event, DateTimeOffset At)
{
    public string? Route { get; init; }

    /// <summary>The dead-letter code, the deferral reason or the template's abort reason.</summary>
    public string? Reason { get; init; }

    /// <summary>Braze's HTTP status of the last answer, when there was one.</summary>
    public int? Status { get; init; }

    /// <summary>Delivered: how many messages the Braze request that carried it held.</summary>
    public int? BatchSize { get; init; }

    /// <summary>Deferred: when the message becomes visible on the outbox again.</summary>
    public DateTimeOffset? Until { get; init; }

    public string? Endpoint { get; init; }

    public string? Workspace { get; init; }

    /// <summary>The retry-schedule attempts the message had made when this happened.</summary>
    public int? Attempt { get; init; }
}

/// <summary>
/// Where a message's trace records live, derived from its id alone: the ingress's ids are UUIDv7, whose first 48 bits are
/// the receipt time in milliseconds. Records go to the daily table of that time (<c>&lt;prefix&gt;yyyyMMdd</c>, dropped whole
/// after <see cref="TraceOptions.Retention"/>), in the partition of its minute (<c>HHmm</c>), so the records of messages
/// that travel together (received close together) share a partition and one entity-group transaction. Row keys are
/// <c>&lt;id&gt;|&lt;ticks&gt;|&lt;event&gt;</c>: one message's records are a contiguous, time-ordered range.
/// </summary>
internal static class TraceKeys
{
    /// <summary>The lowercase 32-hex-digit form of a UUIDv7 id (dashes removed), or null when <paramref name="id"/> is not one.</summary>
    public static string? Normalize(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        var hex = id.Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
        return hex.Length == 32 && hex.All(char.IsAsciiHexDigit) && hex[12] == '7' ? hex : null;
    }

    /// <summary>The receipt time a UUIDv7 id carries (millisecond precision).</summary>
    public static DateTimeOffset TimeOf(string normalizedId) =>
        DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(normalizedId.AsSpan(0, 12), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));

    public static string Table(string prefix, string normalizedId) => TableFor(prefix, TimeOf(normalizedId).UtcDateTime.Date);

    public static string TableFor(string prefix, DateTime utcDay) => prefix + utcDay.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    public static string Partition(string normalizedId) => TimeOf(normalizedId).UtcDateTime.ToString("HHmm", CultureInfo.InvariantCulture);

    public static string RowKey(string normalizedId, DateTimeOffset at, TraceEvent traceEvent) =>
        normalizedId + "|" + at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture) + "|" + traceEvent.ToString().ToLowerInvariant();

    /// <summary>The row-key range [from, to) that holds every record of one message ('}' follows '|').</summary>
    public static (string From, string To) RowRange(string normalizedId) => (normalizedId + "|", normalizedId + "}");
}

/// <summary>Settings of the trace records (<c>Trace__*</c>).</summary>
internal sealed class TraceOptions
{
    public const string Section = "Trace";

    /// <summary>Record what happens to each message (a few table operations per hundred messages). Off: <c>trace</c> sees only the queues.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Prefix of the daily tables (<c>trace20250101</c>).</summary>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{0,54}$", ErrorMessage = "Trace:TablePrefix must be a letter followed by at most 54 letters or digits (a table name part).")]
    public string TablePrefix { get; set; } = "trace";

    /// <summary>How long records are kept: daily tables older than this are dropped.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "366.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(14);

    /// <summary>How long records gather before they are written, so that the records of one Braze request share a transaction.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);
}
