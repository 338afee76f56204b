using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Diagnostics;

// 7007-7009: purging dead letters (the operator's CLI). 71xx: the trace records (best-effort; never about a delivery itself).
internal static partial class Log
{
    [LoggerMessage(EventId = 7007, Level = LogLevel.Information, Message = "Purge of {QueueName} started (route {Route}, status {Status}, reason {ReasonCode}, id {Id}, dry run {DryRun})")]
    public static partial void PurgeStarted(ILogger logger, string queueName, string? route, int? status, string? reasonCode, string? id, bool dryRun);

    [LoggerMessage(EventId = 7008, Level = LogLevel.Warning, Message = "Dead letter {QueueMessageId} ({MessageId}, reason {ReasonCode}) purged: removed from the poison queue for good")]
    public static partial void DeadLetterPurged(ILogger logger, string queueMessageId, string messageId, string reasonCode);

    [LoggerMessage(EventId = 7009, Level = LogLevel.Information, Message = "Purge of {QueueName} finished: {Scanned} scanned, {Purged} purged, {Failed} failed (dry run {DryRun})")]
    public static partial void PurgeFinished(ILogger logger, string queueName, int scanned, int purged, int failed, bool dryRun);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "{Count} trace record(s) for table {TableName} were not written: {Problem}; deliveries are not affected")]
    public static partial void TraceWriteFailed(ILogger logger, string tableName, int count, string problem);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Information, Message = "Trace table {TableName} dropped: older than the retention")]
    public static partial void TraceTableDropped(ILogger logger, string tableName);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Warning, Message = "Dropping expired trace tables failed: {Problem}; the next day tries again")]
    public static partial void TraceCleanupFailed(ILogger logger, string problem);
}
