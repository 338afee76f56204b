using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Diagnostics;

// 40xx: queue probes, health and the poison sweep. 70xx: dead-letter listing and replay (the operator's CLI and the store).
// Payload values never appear here; problems name fields and positions, not values.
internal static partial class Log
{
    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Health check {CheckName} failed: {Problem}")]
    public static partial void HealthCheckUnhealthy(ILogger logger, string checkName, string problem);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "Queue {QueueName}: exists {Exists}, about {Depth} messages, oldest visible {OldestAgeSeconds:0.#} s")]
    public static partial void QueueProbed(ILogger logger, string queueName, bool exists, long depth, double? oldestAgeSeconds);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Queue probe of {QueueName} failed: {ErrorType} (status {StorageStatus}, code {StorageErrorCode})")]
    public static partial void QueueProbeFailed(ILogger logger, string queueName, string errorType, int storageStatus, string? storageErrorCode);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Error, Message = "Poison message {QueueMessageId} ({MessageId}, route {Route}) rewritten as a never-expiring dead letter {ReasonCode}; dequeue count {DequeueCount}")]
    public static partial void PoisonRewritten(ILogger logger, string queueMessageId, string messageId, string route, string reasonCode, long dequeueCount);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Error, Message = "Poison message {QueueMessageId} ({ReasonCode}) is too large for a dead letter with its reason; kept as it is, now never expiring")]
    public static partial void PoisonKeptBare(ILogger logger, string queueMessageId, string reasonCode);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Warning, Message = "Poison message {QueueMessageId} was rewritten, but the original could not be deleted ({ErrorType}, status {StorageStatus}); the next sweep finds it again")]
    public static partial void PoisonOriginalNotDeleted(ILogger logger, string queueMessageId, string errorType, int storageStatus);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Information, Message = "Poison sweep of {QueueName}: {Scanned} scanned, {Rewritten} rewritten, {Failed} failed")]
    public static partial void PoisonSwept(ILogger logger, string queueName, int scanned, int rewritten, int failed);

    [LoggerMessage(EventId = 4014, Level = LogLevel.Warning, Message = "Poison sweep of {QueueName} stopped: {ErrorType} (status {StorageStatus}, code {StorageErrorCode}); the next run continues")]
    public static partial void PoisonSweepFailed(ILogger logger, string queueName, string errorType, int storageStatus, string? storageErrorCode);

    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Replay of {QueueName} started (route {Route}, status {Status}, id {Id}, dry run {DryRun}, include ambiguous {IncludeAmbiguous}, force {Force})")]
    public static partial void ReplayStarted(ILogger logger, string queueName, string? route, int? status, string? id, bool dryRun, bool includeAmbiguous, bool force);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Replayed {MessageId} for route {Route} with an ambiguous earlier outcome ({ReasonCode}); its delivery claim is overridden and a counter may count twice")]
    public static partial void ReplayedAmbiguous(ILogger logger, string messageId, string route, string reasonCode);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Dead letter {QueueMessageId} not replayed: {Problem}")]
    public static partial void ReplaySkipped(ILogger logger, string queueMessageId, string problem);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Replay page {Page}: {Scanned} scanned so far, {Replayed} replayed, {Skipped} skipped")]
    public static partial void ReplayPage(ILogger logger, int page, int scanned, int replayed, int skipped);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Replay of {QueueName} finished: {Scanned} scanned, {Replayed} replayed, {Skipped} skipped (dry run {DryRun})")]
    public static partial void ReplayFinished(ILogger logger, string queueName, int scanned, int replayed, int skipped, bool dryRun);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Error, Message = "Dead letter {QueueMessageId} ({MessageId}) is back on the outbox but could not be removed ({ErrorType}, status {StorageStatus}); replaying it again would deliver it twice")]
    public static partial void ReplayDeleteFailed(ILogger logger, string queueMessageId, string messageId, string errorType, int storageStatus);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Information, Message = "Dry run: would replay {MessageId} for route {Route} (poison message {QueueMessageId})")]
    public static partial void ReplayWouldReplay(ILogger logger, string messageId, string route, string queueMessageId);
}
