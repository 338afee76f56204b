using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Diagnostics;

// 3xxx: dispatch and the Braze client. Braze's message texts and payload values stay out of log lines; they go to the
// dead-letter record, next to the envelope they describe.
internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Dispatching {MessageId} for route {Route}, attempt {Attempt}, dequeue count {DequeueCount}, correlation {CorrelationId}")]
    public static partial void DispatchStarted(ILogger logger, string messageId, string route, int attempt, long dequeueCount, string? correlationId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Delivered {MessageId} for route {Route} to {Endpoint}: {StatusCode} after {AgeSeconds:0.###} s, attempt {Attempt}, correlation {CorrelationId}")]
    public static partial void Delivered(ILogger logger, string messageId, string route, string endpoint, int statusCode, double ageSeconds, int attempt, string? correlationId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Braze answered {StatusCode} on {Endpoint} in {ElapsedMs:0.#} ms (remaining {RateLimitRemaining}, reset {RateLimitReset})")]
    public static partial void BrazeAnswered(ILogger logger, string endpoint, int statusCode, double elapsedMs, long? rateLimitRemaining, DateTimeOffset? rateLimitReset);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Braze request to {Endpoint} failed without an answer: {TransportError} after {ElapsedMs:0.#} ms")]
    public static partial void BrazeTransportFailed(ILogger logger, string endpoint, string transportError, double elapsedMs);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Braze accepted {MessageId} for route {Route} on {Endpoint} but skipped part of it: {ErrorType} in {InputArray}[{Index}]; not retried, the rest was processed")]
    public static partial void PartialError(ILogger logger, string messageId, string route, string endpoint, string errorType, string? inputArray, int? index);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Template for route {Route} aborted {MessageId}: {AbortReason}")]
    public static partial void Aborted(ILogger logger, string route, string messageId, string abortReason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Retrying {MessageId} for route {Route} in place (retry {Retry}) after {Outcome} in {DelayMs:0} ms")]
    public static partial void RetryingInPlace(ILogger logger, string messageId, string route, int retry, string outcome, double delayMs);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Deferred {MessageId} for route {Route} by {DelaySeconds:0.###} s ({DeferReason}); next attempt {NextAttempt}")]
    public static partial void Deferred(ILogger logger, string messageId, string route, double delaySeconds, string deferReason, int nextAttempt);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Information, Message = "Holding {MessageId} for route {Route}: rate-limit window of {Family} open for {WaitMs:0} ms more")]
    public static partial void WaitingForRateLimit(ILogger logger, string messageId, string route, string family, double waitMs);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Error, Message = "Dead-lettered {MessageId} for route {Route}: {ReasonCode} (status {StatusCode}, endpoint {Endpoint}, attempt {Attempt}, correlation {CorrelationId})")]
    public static partial void DeadLettered(ILogger logger, string messageId, string route, string reasonCode, int? statusCode, string? endpoint, int attempt, string? correlationId);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Error, Message = "Outbox message is not a readable envelope: {Problem}")]
    public static partial void InvalidEnvelope(ILogger logger, string problem);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Error, Message = "Dead letter for {MessageId} ({ReasonCode}) is too large for a queue message with its reason record; the bare envelope went to the poison queue")]
    public static partial void DeadLetterTooLarge(ILogger logger, string messageId, string reasonCode);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Information, Message = "Replayed dead letter {MessageId} for route {Route} (poison message {QueueMessageId}) onto the outbox")]
    public static partial void DeadLetterReplayed(ILogger logger, string messageId, string route, string queueMessageId);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Warning, Message = "Message {MessageId} is dequeued for the {DequeueCount}th time: an earlier run did not finish, Braze may already have it")]
    public static partial void Redelivered(ILogger logger, string messageId, long dequeueCount);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Warning, Message = "Braze rate-limited {Endpoint} (family {Family}) for {MessageId}: holding the family for {WaitMs:0} ms")]
    public static partial void RateLimited(ILogger logger, string endpoint, string family, string messageId, double waitMs);

    [LoggerMessage(EventId = 3016, Level = LogLevel.Error, Message = "Template for route {Route} failed on {MessageId}: {Error}")]
    public static partial void TemplateFailed(ILogger logger, string route, string messageId, string error);
}
