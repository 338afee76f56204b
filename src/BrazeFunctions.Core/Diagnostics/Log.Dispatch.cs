using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Diagnostics;

// 3xxx: dispatch, delivery and the Braze client; 5xxx: idempotency. Braze's message texts and payload values stay out of
// log lines; they go to the dead-letter record, next to the envelope they describe. Workspaces appear by name, never key.
internal static partial class Log
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Debug, Message = "Dispatching {MessageId} for route {Route}, attempt {Attempt}, dequeue count {DequeueCount}, correlation {CorrelationId}")]
    public static partial void DispatchStarted(ILogger logger, string messageId, string route, int attempt, long dequeueCount, string? correlationId);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Delivered {MessageId} for route {Route} to {Endpoint}: {StatusCode} after {AgeSeconds:0.###} s, attempt {Attempt}, correlation {CorrelationId}")]
    public static partial void Delivered(ILogger logger, string messageId, string route, string endpoint, int statusCode, double ageSeconds, int attempt, string? correlationId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Braze workspace {Workspace} answered {StatusCode} on {Endpoint} in {ElapsedMs:0.#} ms (remaining {RateLimitRemaining}, reset {RateLimitReset})")]
    public static partial void BrazeAnswered(ILogger logger, string workspace, string endpoint, int statusCode, double elapsedMs, long? rateLimitRemaining, long? rateLimitReset);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Braze request to {Endpoint} of workspace {Workspace} failed without an answer: {TransportError} after {ElapsedMs:0.#} ms")]
    public static partial void BrazeTransportFailed(ILogger logger, string workspace, string endpoint, string transportError, double elapsedMs);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Braze accepted {MessageId} for route {Route} on {Endpoint} but skipped part of it: {ErrorType} in {InputArray}[{Index}]; not retried, the rest was processed")]
    public static partial void PartialError(ILogger logger, string messageId, string route, string endpoint, string errorType, string? inputArray, int? index);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Template for route {Route} aborted {MessageId}: {AbortReason}")]
    public static partial void Aborted(ILogger logger, string route, string messageId, string abortReason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Retrying a request of {Messages} message(s) to {Endpoint} of workspace {Workspace} in place (retry {Retry}) after {Outcome} in {DelayMs:0} ms")]
    public static partial void RetryingRequest(ILogger logger, string workspace, string endpoint, int messages, int retry, string outcome, double delayMs);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Deferred {MessageId} for route {Route} by {DelaySeconds:0.###} s ({DeferReason}); next attempt {NextAttempt}")]
    public static partial void Deferred(ILogger logger, string messageId, string route, double delaySeconds, string deferReason, int nextAttempt);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Information, Message = "Waiting for rate-limit budget of workspace {Workspace}, bucket {Bucket} ({WaitReason}): up to {WaitMs:0} ms")]
    public static partial void WaitingForBudget(ILogger logger, string workspace, string bucket, string waitReason, double waitMs);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Error, Message = "Dead-lettered {MessageId} for route {Route}: {ReasonCode} (status {StatusCode}, endpoint {Endpoint}, attempt {Attempt}, correlation {CorrelationId}, workspace {Workspace})")]
    public static partial void DeadLettered(ILogger logger, string messageId, string route, string reasonCode, int? statusCode, string? endpoint, int attempt, string? correlationId, string? workspace);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Error, Message = "Outbox message is not a readable envelope: {Problem}")]
    public static partial void InvalidEnvelope(ILogger logger, string problem);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Error, Message = "Dead letter for {MessageId} ({ReasonCode}) is too large for a queue message with its reason record; the bare envelope went to the poison queue")]
    public static partial void DeadLetterTooLarge(ILogger logger, string messageId, string reasonCode);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Information, Message = "Replayed dead letter {MessageId} for route {Route} (poison message {QueueMessageId}) onto the outbox")]
    public static partial void DeadLetterReplayed(ILogger logger, string messageId, string route, string queueMessageId);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Warning, Message = "Message {MessageId} is dequeued for the {DequeueCount}th time: an earlier run did not finish, Braze may already have it")]
    public static partial void Redelivered(ILogger logger, string messageId, long dequeueCount);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Warning, Message = "Braze rate-limited {Endpoint} of workspace {Workspace} (bucket {Bucket}): every instance holds the bucket for {WaitMs:0} ms (cut to Dispatch:MaxRateLimitHold, then one probe first: {HoldCapped})")]
    public static partial void RateLimited(ILogger logger, string workspace, string endpoint, string bucket, double waitMs, bool holdCapped);

    [LoggerMessage(EventId = 3016, Level = LogLevel.Error, Message = "Template for route {Route} failed on {MessageId}: {Error}")]
    public static partial void TemplateFailed(ILogger logger, string route, string messageId, string error);

    [LoggerMessage(EventId = 3017, Level = LogLevel.Debug, Message = "Sending a request of {Messages} message(s) to {Endpoint} of workspace {Workspace} ({FlushReason})")]
    public static partial void BatchFlushed(ILogger logger, string workspace, string endpoint, int messages, string flushReason);

    [LoggerMessage(EventId = 3018, Level = LogLevel.Error, Message = "A batch to {Endpoint} of workspace {Workspace} failed unexpectedly ({ErrorType}); its messages are deferred")]
    public static partial void BatchFailed(ILogger logger, string workspace, string endpoint, string errorType);

    [LoggerMessage(EventId = 3019, Level = LogLevel.Error, Message = "Braze answered 'Max Input Length Exceeded' for {Objects} objects in workspace {Workspace}: its contract allows fewer per /users/track request; the cap is now {Cap}. Set Braze__Workspaces__<name>__MaxUsersTrackObjects (or Templates__MaxUsersTrackObjects) to match.")]
    public static partial void ObjectCapLowered(ILogger logger, string workspace, int objects, int cap);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Warning, Message = "Braze refused a merged request to {Endpoint} of workspace {Workspace}; its errors named {Refused} message(s), the other {Resent} are sent again")]
    public static partial void BatchResent(ILogger logger, string workspace, string endpoint, int refused, int resent);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Warning, Message = "Braze refused a merged request of {Messages} message(s) to {Endpoint} of workspace {Workspace} ({SplitReason}): sending it in halves")]
    public static partial void BatchSplit(ILogger logger, string workspace, string endpoint, int messages, string splitReason);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Warning, Message = "Splitting a refused request to {Endpoint} of workspace {Workspace} used its {MaxSplitRequests} extra requests; its {Messages} remaining message(s) are re-queued to be sent alone")]
    public static partial void SplitBudgetSpent(ILogger logger, string workspace, string endpoint, int messages, int maxSplitRequests);

    [LoggerMessage(EventId = 3023, Level = LogLevel.Debug, Message = "Message {MessageId} for route {Route} is sent alone: {AloneReason}")]
    public static partial void SentAlone(ILogger logger, string messageId, string route, string aloneReason);

    [LoggerMessage(EventId = 3024, Level = LogLevel.Warning, Message = "The shared rate-limit table {Table} is unavailable ({Problem}): instances pace on their own answers for the next {CooldownSeconds:0} s")]
    public static partial void SharedPacingUnavailable(ILogger logger, string table, string problem, double cooldownSeconds);

    [LoggerMessage(EventId = 3025, Level = LogLevel.Information, Message = "The shared rate-limit table {Table} answers again")]
    public static partial void SharedPacingRestored(ILogger logger, string table);

    [LoggerMessage(EventId = 3026, Level = LogLevel.Trace, Message = "Granted a request to workspace {Workspace}, bucket {Bucket}: window {Window}, remaining {Remaining}, in flight {InFlight}, from the shared ledger {FromLedger}, tokens left {Tokens}")]
    public static partial void PacingGranted(ILogger logger, string workspace, string bucket, long window, long? remaining, int inFlight, bool fromLedger, int tokens);

    [LoggerMessage(EventId = 3027, Level = LogLevel.Error, Message = "Braze refused {CredentialScope} with {StatusCode} on {Endpoint}: requests to it are paused for {PauseMinutes:0.#} min on every instance, then one probe goes first. Check Braze__Workspaces__{Workspace}__ApiKey (or Braze__ApiKey for 'default') and the key's permissions.")]
    public static partial void CredentialRejected(ILogger logger, string workspace, string endpoint, int statusCode, string credentialScope, double pauseMinutes);

    [LoggerMessage(EventId = 3028, Level = LogLevel.Information, Message = "Braze accepted {CredentialScope} again: held messages are released")]
    public static partial void CredentialAccepted(ILogger logger, string credentialScope);

    [LoggerMessage(EventId = 3029, Level = LogLevel.Debug, Message = "The rate-limit window of a request to {Endpoint} of workspace {Workspace} may have ended while its {Count} message(s) were claimed: asking the pacer again")]
    public static partial void LeaseWentStale(ILogger logger, string workspace, string endpoint, int count);

    [LoggerMessage(EventId = 3030, Level = LogLevel.Warning, Message = "A closed-until of row {Row} in the shared rate-limit table {Table} was not written ({Problem}): other instances learn the hold from their own answers")]
    public static partial void SharedRaiseLost(ILogger logger, string table, string row, string problem);

    [LoggerMessage(EventId = 3031, Level = LogLevel.Debug, Message = "A request of {Messages} message(s) to {Endpoint} of workspace {Workspace} leaves the line: its budget can send it in {ForecastMs:0} ms ({Position} ahead), longer than it may wait")]
    public static partial void LeftTheLine(ILogger logger, string workspace, string endpoint, int messages, int position, double forecastMs);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Message {MessageId} for route {Route} repeats a delivery already made (first by {Owner}); suppressed at {Stage}")]
    public static partial void DuplicateSuppressed(ILogger logger, string messageId, string route, string owner, string stage);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Message {MessageId} for route {Route} takes over a claim whose outcome is unknown (own claim {OwnClaim}, {AgeSeconds:0} s old, operator override {OperatorOverride}): its policy allows sending again")]
    public static partial void ClaimTakenOver(ILogger logger, string messageId, string route, bool ownClaim, double ageSeconds, bool operatorOverride);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Message {MessageId} for route {Route} is sent without a claim: the idempotency store is unavailable ({Problem}) and a repeat of this request is harmless")]
    public static partial void SendingUnclaimed(ILogger logger, string messageId, string route, string problem);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "The claim of {MessageId} for route {Route} changed before its {Operation}: another run took it over")]
    public static partial void ClaimLost(ILogger logger, string messageId, string route, string operation);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "Could not {Operation} the claim of {MessageId} for route {Route}: {Problem}; a later copy of it will treat its outcome as unknown")]
    public static partial void ClaimWriteFailed(ILogger logger, string messageId, string route, string operation, string problem);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Message {MessageId} for route {Route} waits for the idempotency store ({Problem}): its request must not risk a repeat")]
    public static partial void WaitingForStore(ILogger logger, string messageId, string route, string problem);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "Dropped the expired idempotency table {Table}")]
    public static partial void IdempotencyTableDropped(ILogger logger, string table);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "Webhook {MessageId} for route {Route} takes over a pending Idempotency-Key record {AgeSeconds:0} s old: the run that wrote it never queued it")]
    public static partial void PendingTakenOver(ILogger logger, string messageId, string route, double ageSeconds);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Warning, Message = "Webhook {MessageId} for route {Route} is queued without its Idempotency-Key check: {Problem}")]
    public static partial void IngressUnchecked(ILogger logger, string messageId, string route, string problem);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Message {MessageId} for route {Route} is already in the dead-letter queue (its claim says so): this copy is a repeat and ends without sending")]
    public static partial void AlreadyDeadLettered(ILogger logger, string messageId, string route);
}
