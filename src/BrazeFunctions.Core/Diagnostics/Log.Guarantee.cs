using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Diagnostics;

// 6xxx: the claim-check (webhook bodies kept in blobs). Blob names are envelope ids,
// never payload values.
internal static partial class Log
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Webhook {MessageId} for route {Route} ({PayloadBytes} bytes) is over the queue message budget: its body is kept in blob {Blob}")]
    public static partial void BodyKept(ILogger logger, string messageId, string route, int payloadBytes, string blob);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "The body blob {Blob} could not be marked {State}: {Problem}")]
    public static partial void BodyMarkFailed(ILogger logger, string blob, string state, string problem);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Warning, Message = "The body blob {Blob} of an ended message could not be emptied ({Problem}); it stays until an operator removes it")]
    public static partial void BodyNotEmptied(ILogger logger, string blob, string problem);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "Body cleanup of {Container}: {Scanned} blobs scanned, {Orphans} orphans removed (written, never queued), {Ended} emptied bodies removed")]
    public static partial void BodiesCleaned(ILogger logger, string container, int scanned, int orphans, int ended);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "The body blob {Blob} could not be removed after its enqueue failed ({Problem}); the cleanup removes it after a day")]
    public static partial void OrphanBodyLeft(ILogger logger, string blob, string problem);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Information, Message = "Message {MessageId} for route {Route} already ended (its body blob {Blob} was emptied): this copy is a repeat and ends as a duplicate")]
    public static partial void BodyAlreadyEnded(ILogger logger, string messageId, string route, string blob);
}
