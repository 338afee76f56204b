using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Diagnostics;

/// <summary>
/// Every log line the relay writes. Event ids are unique and grouped: 1xxx ingress, 2xxx templates, 3xxx dispatch,
/// 4xxx storage and health. Values from payloads and secrets are never parameters here.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Webhook {MessageId} for route {Route} queued ({PayloadBytes} bytes), correlation {CorrelationId}")]
    public static partial void WebhookQueued(ILogger logger, string messageId, string route, int payloadBytes, string? correlationId);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Webhook rejected with {StatusCode}: {Reason}")]
    public static partial void WebhookRejected(ILogger logger, int statusCode, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Webhook {MessageId} for route {Route} could not be queued: {ErrorType} (status {StorageStatus}, code {StorageErrorCode}); answered 503")]
    public static partial void EnqueueFailed(ILogger logger, string messageId, string route, string errorType, int storageStatus, string? storageErrorCode);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Health check failed: queue {QueueName} is not reachable ({ErrorType}, status {StorageStatus}, code {StorageErrorCode})")]
    public static partial void HealthCheckFailed(ILogger logger, string queueName, string errorType, int storageStatus, string? storageErrorCode);
}
