using System.Globalization;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Pacing;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>
/// Ends one message from its own report, whatever batch it travelled in: delivered (the claim marked), duplicate,
/// deferred (a copy re-enqueued with a visibility delay; rate-limit and claim waits keep the attempt count, failures
/// take the next step of the retry schedule) or dead-lettered with its reason. Claims are released on every answer that
/// proves nothing was applied and kept when the outcome is unknown, and then only the copy written here inherits them
/// (<see cref="WebhookEnvelope.ClaimToken"/>). Re-enqueues and dead letters go through clients with short per-try
/// timeouts: a storage hiccup fails the run within seconds instead of holding it.
/// </summary>
internal sealed class DeliveryEndings(
    DeliveryClaims claims,
    RelayQueues queues,
    DeadLetterWriter deadLetters,
    IOptions<DeliveryRetryOptions> retryOptions,
    IOptions<IdempotencyOptions> idempotencyOptions,
    IOptions<OutboxOptions> outboxOptions,
    TimeProvider time,
    IRandomSource random,
    RelayMetrics metrics,
    ILogger<DeliveryEndings> logger)
{
    private static readonly TimeSpan StoreRetryDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ClaimRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>The result's reason for a repeat of a message already in the dead-letter queue (no second dead letter is written).</summary>
    private const string AlreadyDeadLetteredReason = "already_dead_lettered";

    // Endings are written whatever happened to the caller: once a request went out, abandoning its ending is worse.
    private static CancellationToken EndingToken => CancellationToken.None;

    public async Task<DispatchResult> EndAsync(DeliveryItem item, DeliveryReport report)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(report);
        return report switch
        {
            DeliveryReport.Accepted { AllObjectsRefused: true } refused => await ReleaseThenDeadLetterAsync(
                item, DeadLetterCodes.ObjectsRefused, "Braze refused every object of this message: " + ErrorTypes(refused.Errors), refused.Response).ConfigureAwait(false),
            DeliveryReport.Accepted accepted => await DeliveredAsync(item, accepted).ConfigureAwait(false),
            DeliveryReport.Refused refused => await ReleaseThenDeadLetterAsync(
                item, DeadLetterCodes.Http(refused.Response.StatusCode), refused.Errors.Count > 0 ? "Braze errors: " + ErrorTypes(refused.Errors) : null, refused.Response).ConfigureAwait(false),
            DeliveryReport.RateLimited limited => await ReleaseThenAsync(item, () => DeferForRateLimitAsync(item, limited.Wait, limited.Response)).ConfigureAwait(false),
            DeliveryReport.CredentialPaused paused => await ReleaseThenAsync(item, () => CredentialPausedAsync(item, paused)).ConfigureAwait(false),
            DeliveryReport.Failed failed => await FailedAsync(item, failed).ConfigureAwait(false),
            DeliveryReport.Duplicate duplicate => Duplicate(item, duplicate),
            DeliveryReport.AlreadyDeadLettered => AlreadyDeadLettered(item),
            DeliveryReport.ClaimedElsewhere elsewhere => await ClaimedElsewhereAsync(item, elsewhere).ConfigureAwait(false),
            DeliveryReport.OutcomeUnknown unknown => await OutcomeUnknownAsync(item, unknown).ConfigureAwait(false),
            DeliveryReport.StoreUnavailable unavailable => await StoreUnavailableAsync(item, unavailable).ConfigureAwait(false),
            DeliveryReport.SplitUnresolved split => await ReleaseThenAsync(item, () => DeferWithoutAttemptAsync(
                item.NextEnvelope(inheritsClaim: false) with { SendAlone = true }, item.Workspace.Name, "send_alone", TimeSpan.FromSeconds(1), split.Response)).ConfigureAwait(false),
            DeliveryReport.Withdrawn => await DeferWithoutAttemptAsync(item.NextEnvelope(inheritsClaim: false), item.Workspace.Name, "cancelled", TimeSpan.Zero, null).ConfigureAwait(false),
            // A request cut off mid-flight keeps its claim for its copy: the copy finds it and follows the ambiguous-outcome policy.
            DeliveryReport.ShutDown => await KeepClaimIfSentThenAsync(item, sent => DeferWithoutAttemptAsync(item.NextEnvelope(sent), item.Workspace.Name, "shutdown", TimeSpan.Zero, null)).ConfigureAwait(false),
            _ => throw new InvalidOperationException($"Unknown delivery report {report.GetType().Name}."),
        };
    }

    /// <summary>Dead-letters a message with its reason (Braze's status and message, the detail, the workspace's name).</summary>
    public Task<DispatchResult> DeadLetterAsync(WebhookEnvelope envelope, DeadLetterCause cause) => deadLetters.DeadLetterAsync(envelope, cause);

    /// <summary>Dead-letters a queue message that is not a readable envelope, keeping its text.</summary>
    public Task<DispatchResult> DeadLetterUnreadableAsync(string rawMessage, string problem) => deadLetters.DeadLetterUnreadableAsync(rawMessage, problem);

    private async Task<DispatchResult> DeliveredAsync(DeliveryItem item, DeliveryReport.Accepted accepted)
    {
        await claims.MarkDeliveredAsync(item, EndingToken).ConfigureAwait(false);
        var age = time.GetUtcNow() - item.Envelope.ReceivedAt;
        metrics.Delivered(item.Route, item.Workspace.Name, item.Endpoint);
        metrics.DeliveryAge(item.Route, age);
        foreach (var error in accepted.Errors)
        {
            Log.PartialError(logger, item.MessageId, item.Route, item.Endpoint, error.Type, error.InputArray, error.Index);
            metrics.PartialError(item.Route, error.Type);
        }

        Log.Delivered(logger, item.MessageId, item.Route, item.Endpoint, accepted.Response.StatusCode, age.TotalSeconds, item.Envelope.Attempt, item.Envelope.CorrelationId);
        return new DispatchResult(DispatchOutcome.Delivered, null, accepted.Response.StatusCode);
    }

    private async Task<DispatchResult> FailedAsync(DeliveryItem item, DeliveryReport.Failed failed)
    {
        if (failed.Ambiguous && !item.MayResendWhenAmbiguous)
        {
            // The claim stays: any later copy of this delivery finds it and cannot send it again unnoticed. Once the dead
            // letter is written it says so, so a repeat of this message (a run that died before completing it) ends at once.
            metrics.Ambiguous(item.Route, "dead_letter");
            var ended = await DeadLetterAsync(item.Envelope, Cause(item, DeadLetterCodes.AmbiguousOutcome,
                $"{failed.Response}: Braze may or may not have applied it. Check the profile in Braze for a change made {Window(item)}; " +
                "replay with --include-ambiguous to send it again (a counter may then count twice), or drop it (it may then count once less).",
                failed.Response)).ConfigureAwait(false);
            await claims.MarkDeadLetteredAsync(item, EndingToken).ConfigureAwait(false);
            return ended;
        }

        if (failed.Ambiguous)
        {
            // The claim stays for the copy written now: it finds it as its own and resends under the same policy.
            metrics.Ambiguous(item.Route, "retry");
        }
        else
        {
            await claims.ReleaseAsync(item, EndingToken).ConfigureAwait(false);
        }

        var options = retryOptions.Value;
        var delays = options.RetryDelays;
        var envelope = item.NextEnvelope(inheritsClaim: failed.Ambiguous);
        if (envelope.Attempt < delays.Count)
        {
            var delay = delays[envelope.Attempt] * (1 + (random.NextDouble() * options.RetryScheduleJitter));
            return await DeferAsync(envelope with { Attempt = envelope.Attempt + 1 }, delay, "retry_schedule", failed.Response.StatusCode).ConfigureAwait(false);
        }

        return await DeadLetterAsync(item.Envelope, Cause(item, DeadLetterCodes.RetriesExhausted, $"the last of {delays.Count} scheduled retries ended with {failed.Response}", failed.Response)).ConfigureAwait(false);
    }

    private DispatchResult Duplicate(DeliveryItem item, DeliveryReport.Duplicate duplicate)
    {
        metrics.Duplicate(item.Route, "dispatch");
        Log.DuplicateSuppressed(logger, item.MessageId, item.Route, duplicate.Record.Owner, "dispatch");
        return new DispatchResult(DispatchOutcome.Duplicate, "duplicate");
    }

    /// <summary>
    /// A repeat of a message whose dead letter exists (its run died before completing it): one dead letter is enough. It
    /// ends as dead-lettered, not as a duplicate, so a body kept in a blob stays for the dead letter's replay.
    /// </summary>
    private DispatchResult AlreadyDeadLettered(DeliveryItem item)
    {
        Log.AlreadyDeadLettered(logger, item.MessageId, item.Route);
        return new DispatchResult(DispatchOutcome.DeadLettered, AlreadyDeadLetteredReason);
    }

    private async Task<DispatchResult> ClaimedElsewhereAsync(DeliveryItem item, DeliveryReport.ClaimedElsewhere elsewhere)
    {
        metrics.ClaimConflict(item.Route);
        var leaseLeft = idempotencyOptions.Value.ClaimLease - elsewhere.Age;
        return await DeferWithoutAttemptAsync(item.NextEnvelope(inheritsClaim: false), item.Workspace.Name, "claim_conflict", leaseLeft < ClaimRetryDelay ? leaseLeft : ClaimRetryDelay, null).ConfigureAwait(false);
    }

    private async Task<DispatchResult> OutcomeUnknownAsync(DeliveryItem item, DeliveryReport.OutcomeUnknown unknown)
    {
        metrics.Ambiguous(item.Route, "dead_letter");
        var since = unknown.Record.Since.ToString("O", CultureInfo.InvariantCulture);
        return await DeadLetterAsync(item.Envelope, Cause(item, DeadLetterCodes.AmbiguousOutcome,
            (unknown.OwnClaim ? "An earlier run of this message" : "Another message for the same delivery") +
            $" claimed it at {since} and never recorded Braze's answer (a crash or a lost answer). Check Braze for a change made after {since}; " +
            "replay with --include-ambiguous to send it again (a counter may then count twice), or drop it (it may then count once less).",
            response: null)).ConfigureAwait(false);
    }

    private async Task<DispatchResult> StoreUnavailableAsync(DeliveryItem item, DeliveryReport.StoreUnavailable unavailable)
    {
        Log.WaitingForStore(logger, item.MessageId, item.Route, unavailable.Problem);
        return await KeepClaimIfSentThenAsync(item, sent => DeferWithoutAttemptAsync(item.NextEnvelope(sent), item.Workspace.Name, "store_unavailable", StoreRetryDelay, null)).ConfigureAwait(false);
    }

    /// <summary>The wait is the credential gate's, already spread (jittered) by it.</summary>
    private async Task<DispatchResult> CredentialPausedAsync(DeliveryItem item, DeliveryReport.CredentialPaused paused) =>
        await DeferWithoutAttemptAsync(item.NextEnvelope(inheritsClaim: false), item.Workspace.Name, "credential_pause", paused.Wait,
            paused.Response, expiredCode: DeadLetterCodes.CredentialRejected,
            expiredDetail: $"Braze kept refusing the credential of workspace '{item.Workspace.Name}' for {item.Endpoint} (401: the key, 403: its permission); fix Braze__Workspaces__{item.Workspace.Name}__ApiKey (Braze__ApiKey for 'default') and replay").ConfigureAwait(false);

    /// <summary>The wait is the pacer's forecast of when the message's budget can send it, already spread (jittered) by the pacer.</summary>
    private async Task<DispatchResult> DeferForRateLimitAsync(DeliveryItem item, TimeSpan wait, BrazeResponse? response) =>
        await DeferWithoutAttemptAsync(item.NextEnvelope(inheritsClaim: false), item.Workspace.Name, "rate_limit", wait, response).ConfigureAwait(false);

    /// <summary>Re-enqueues the same attempt: waits that are not failures of this message. Past the age limit it expires.</summary>
    private async Task<DispatchResult> DeferWithoutAttemptAsync(
        WebhookEnvelope envelope, string? workspace, string reason, TimeSpan delay, BrazeResponse? response, string expiredCode = DeadLetterCodes.Expired, string? expiredDetail = null)
    {
        var options = retryOptions.Value;
        if (time.GetUtcNow() + delay - envelope.AgeClockStart > options.MaxMessageAge)
        {
            var detail = (expiredDetail is null ? string.Empty : expiredDetail + "; ") +
                $"still waiting ({reason}) after {options.MaxMessageAge} since it was {(envelope.ReplayedAt is null ? "received" : "replayed")}";
            return await DeadLetterAsync(envelope, new DeadLetterCause(expiredCode, detail) { Workspace = workspace, Response = response }).ConfigureAwait(false);
        }

        return await DeferAsync(envelope, delay, reason, response?.StatusCode).ConfigureAwait(false);
    }

    private async Task<DispatchResult> DeferAsync(WebhookEnvelope next, TimeSpan delay, string reason, int? status)
    {
        delay = delay > QueueMessageLimits.MaxVisibilityDelay ? QueueMessageLimits.MaxVisibilityDelay : delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
        await queues.EndingOutbox.SendAsync(new BinaryData(EnvelopeCodec.Serialize(next)), delay, outboxOptions.Value.MessageTimeToLive, EndingToken).ConfigureAwait(false);
        metrics.Deferred(next.Route, reason);
        Log.Deferred(logger, next.Id, next.Route, delay.TotalSeconds, reason, next.Attempt);
        return new DispatchResult(DispatchOutcome.Deferred, reason, status, delay);
    }

    private async Task<DispatchResult> ReleaseThenAsync(DeliveryItem item, Func<Task<DispatchResult>> next)
    {
        await claims.ReleaseAsync(item, EndingToken).ConfigureAwait(false);
        return await next().ConfigureAwait(false);
    }

    private Task<DispatchResult> ReleaseThenDeadLetterAsync(DeliveryItem item, string code, string? detail, BrazeResponse response) =>
        ReleaseThenAsync(item, () => DeadLetterAsync(item.Envelope, Cause(item, code, detail, response)));

    /// <summary>A claim whose request never left is released; one whose request left may have been applied and is kept for the copy.</summary>
    private async Task<DispatchResult> KeepClaimIfSentThenAsync(DeliveryItem item, Func<bool, Task<DispatchResult>> next)
    {
        var sent = item.FirstSentAt is not null;
        if (!sent)
        {
            await claims.ReleaseAsync(item, EndingToken).ConfigureAwait(false);
        }

        return await next(sent).ConfigureAwait(false);
    }

    private static DeadLetterCause Cause(DeliveryItem item, string code, string? detail, BrazeResponse? response) =>
        new(code, detail) { Workspace = item.Workspace.Name, Endpoint = item.Endpoint, Response = response };

    private static string Window(DeliveryItem item)
    {
        var from = (item.FirstSentAt ?? item.Envelope.ReceivedAt).ToString("O", CultureInfo.InvariantCulture);
        var to = item.LastAnsweredAt is { } answered ? answered.ToString("O", CultureInfo.InvariantCulture) : "the failure";
        return $"between {from} and {to}";
    }

    private static string ErrorTypes(IReadOnlyList<BrazePartialError> errors) => string.Join("; ", errors.Take(10).Select(e => e.Type).Distinct(StringComparer.Ordinal));
}
