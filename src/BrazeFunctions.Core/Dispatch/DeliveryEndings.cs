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
/// proves nothing was applied and kept when the outcome is unknown.
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

    // Endings are written whatever happened to the caller: once a request went out, abandoning its ending is worse.
    private static CancellationToken EndingToken => CancellationToken.None;

    public async Task<DispatchResult> EndAsync(DeliveryItem item, DeliveryReport report)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(report);
        var envelope = item.Envelope;
        switch (report)
        {
            case DeliveryReport.Accepted { AllObjectsRefused: true } refused:
                await claims.ReleaseAsync(item, EndingToken).ConfigureAwait(false);
                return await DeadLetterAsync(envelope, Cause(item, DeadLetterCodes.ObjectsRefused, "Braze refused every object of this message: " + ErrorTypes(refused.Errors), refused.Response)).ConfigureAwait(false);

            case DeliveryReport.Accepted accepted:
                await claims.MarkDeliveredAsync(item, EndingToken).ConfigureAwait(false);
                Delivered(item, accepted);
                return new DispatchResult(DispatchOutcome.Delivered, null, accepted.Response.StatusCode);

            case DeliveryReport.Refused refused:
                await claims.ReleaseAsync(item, EndingToken).ConfigureAwait(false);
                return await DeadLetterAsync(envelope, Cause(item, DeadLetterCodes.Http(refused.Response.StatusCode),
                    refused.Errors.Count > 0 ? "Braze errors: " + ErrorTypes(refused.Errors) : null, refused.Response)).ConfigureAwait(false);

            case DeliveryReport.RateLimited limited:
                await claims.ReleaseAsync(item, EndingToken).ConfigureAwait(false);
                return await DeferForRateLimitAsync(item, limited.Wait, limited.Response).ConfigureAwait(false);

            case DeliveryReport.CredentialPaused paused:
                await claims.ReleaseAsync(item, EndingToken).ConfigureAwait(false);
                return await DeferWithoutAttemptAsync(item.Envelope, item.Workspace.Name, "credential_pause", paused.Wait,
                    paused.Response, expiredCode: DeadLetterCodes.CredentialRejected,
                    expiredDetail: $"Braze kept refusing the credential of workspace '{item.Workspace.Name}' for {item.Endpoint} (401: the key, 403: its permission); fix Braze__Workspaces__{item.Workspace.Name}__ApiKey (Braze__ApiKey for 'default') and replay").ConfigureAwait(false);

            case DeliveryReport.Failed { Ambiguous: true } failed when !item.MayResendWhenAmbiguous:
                metrics.Ambiguous(item.Route, "dead_letter");
                return await DeadLetterAsync(envelope, Cause(item, DeadLetterCodes.AmbiguousOutcome,
                    $"{failed.Response}: Braze may or may not have applied it. Check the profile in Braze for a change made {Window(item)}; " +
                    "replay with --include-ambiguous to send it again (a counter may then count twice), or drop it (it may then count once less).",
                    failed.Response)).ConfigureAwait(false);

            case DeliveryReport.Failed failed:
                if (failed.Ambiguous)
                {
                    // The claim stays: the next copy finds it, sees its own claim and resends under the same policy.
                    metrics.Ambiguous(item.Route, "retry");
                }
                else
                {
                    await claims.ReleaseAsync(item, EndingToken).ConfigureAwait(false);
                }

                return await RetryOnScheduleAsync(item, failed.Response).ConfigureAwait(false);

            case DeliveryReport.Duplicate duplicate:
                metrics.Duplicate(item.Route, "dispatch");
                Log.DuplicateSuppressed(logger, item.MessageId, item.Route, duplicate.Record.Owner, "dispatch");
                return new DispatchResult(DispatchOutcome.Duplicate, "duplicate");

            case DeliveryReport.ClaimedElsewhere elsewhere:
                metrics.ClaimConflict(item.Route);
                var leaseLeft = idempotencyOptions.Value.ClaimLease - elsewhere.Age;
                return await DeferWithoutAttemptAsync(item.Envelope, item.Workspace.Name, "claim_conflict", leaseLeft < ClaimRetryDelay ? leaseLeft : ClaimRetryDelay, null).ConfigureAwait(false);

            case DeliveryReport.OutcomeUnknown unknown:
                metrics.Ambiguous(item.Route, "dead_letter");
                var since = unknown.Record.Since.ToString("O", CultureInfo.InvariantCulture);
                return await DeadLetterAsync(envelope, Cause(item, DeadLetterCodes.AmbiguousOutcome,
                    (unknown.OwnClaim ? "An earlier run of this message" : "Another message for the same delivery") +
                    $" claimed it at {since} and never recorded Braze's answer (a crash or a lost answer). Check Braze for a change made after {since}; " +
                    "replay with --include-ambiguous to send it again (a counter may then count twice), or drop it (it may then count once less).",
                    response: null)).ConfigureAwait(false);

            case DeliveryReport.StoreUnavailable unavailable:
                Log.WaitingForStore(logger, item.MessageId, item.Route, unavailable.Problem);
                return await DeferWithoutAttemptAsync(item.Envelope, item.Workspace.Name, "store_unavailable", StoreRetryDelay, null).ConfigureAwait(false);

            case DeliveryReport.SplitUnresolved split:
                await claims.ReleaseAsync(item, EndingToken).ConfigureAwait(false);
                return await DeferWithoutAttemptAsync(item.Envelope with { SendAlone = true }, item.Workspace.Name, "send_alone", TimeSpan.FromSeconds(1), split.Response).ConfigureAwait(false);

            case DeliveryReport.Withdrawn:
                return await DeferWithoutAttemptAsync(item.Envelope, item.Workspace.Name, "cancelled", TimeSpan.Zero, null).ConfigureAwait(false);

            case DeliveryReport.ShutDown:
                if (item.FirstSentAt is null)
                {
                    await claims.ReleaseAsync(item, EndingToken).ConfigureAwait(false);
                }

                // A request cut off mid-flight keeps its claim: the copy finds it and follows the ambiguous-outcome policy.
                return await DeferWithoutAttemptAsync(item.Envelope, item.Workspace.Name, "shutdown", TimeSpan.Zero, null).ConfigureAwait(false);

            default:
                throw new InvalidOperationException($"Unknown delivery report {report.GetType().Name}.");
        }
    }

    /// <summary>Dead-letters a message with its reason (Braze's status and message, the detail, the workspace's name).</summary>
    public async Task<DispatchResult> DeadLetterAsync(WebhookEnvelope envelope, DeadLetterCause cause)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(cause);
        var status = cause.Response is { StatusCode: > 0 } response ? response.StatusCode : (int?)null;
        var reason = new DeadLetterReason(cause.Code, status, cause.Response?.Message, cause.Detail, cause.Endpoint ?? cause.Response?.Endpoint, envelope.Route,
            envelope.Id, envelope.Attempt, envelope.ReceivedAt, time.GetUtcNow(), envelope.CorrelationId) { Workspace = cause.Workspace };
        await deadLetters.WriteAsync(reason, envelope, null, EndingToken).ConfigureAwait(false);
        return new DispatchResult(DispatchOutcome.DeadLettered, cause.Code, status);
    }

    /// <summary>Dead-letters a queue message that is not a readable envelope, keeping its text.</summary>
    public async Task<DispatchResult> DeadLetterUnreadableAsync(string rawMessage, string problem)
    {
        var reason = new DeadLetterReason(DeadLetterCodes.InvalidEnvelope, null, null, problem, null, "(unknown)", "(unknown)", 0, null, time.GetUtcNow(), null);
        await deadLetters.WriteAsync(reason, null, rawMessage, EndingToken).ConfigureAwait(false);
        return new DispatchResult(DispatchOutcome.DeadLettered, reason.Code);
    }

    private void Delivered(DeliveryItem item, DeliveryReport.Accepted accepted)
    {
        var age = time.GetUtcNow() - item.Envelope.ReceivedAt;
        metrics.Delivered(item.Route, item.Workspace.Name, item.Endpoint);
        metrics.DeliveryAge(item.Route, age);
        foreach (var error in accepted.Errors)
        {
            Log.PartialError(logger, item.MessageId, item.Route, item.Endpoint, error.Type, error.InputArray, error.Index);
            metrics.PartialError(item.Route, error.Type);
        }

        Log.Delivered(logger, item.MessageId, item.Route, item.Endpoint, accepted.Response.StatusCode, age.TotalSeconds, item.Envelope.Attempt, item.Envelope.CorrelationId);
    }

    private async Task<DispatchResult> RetryOnScheduleAsync(DeliveryItem item, BrazeResponse response)
    {
        var options = retryOptions.Value;
        var envelope = item.Envelope;
        var delays = options.RetryDelays;
        if (envelope.Attempt < delays.Count)
        {
            var delay = delays[envelope.Attempt] * (1 + (random.NextDouble() * options.RetryScheduleJitter));
            return await DeferAsync(envelope with { Attempt = envelope.Attempt + 1 }, delay, "retry_schedule", response.StatusCode).ConfigureAwait(false);
        }

        return await DeadLetterAsync(envelope, Cause(item, DeadLetterCodes.RetriesExhausted, $"the last of {delays.Count} scheduled retries ended with {response}", response)).ConfigureAwait(false);
    }

    /// <summary>The wait is the pacer's forecast of when the message's budget can send it, already spread (jittered) by the pacer.</summary>
    private async Task<DispatchResult> DeferForRateLimitAsync(DeliveryItem item, TimeSpan wait, BrazeResponse? response) =>
        await DeferWithoutAttemptAsync(item.Envelope, item.Workspace.Name, "rate_limit", wait, response).ConfigureAwait(false);

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
        if (delay > QueueMessageLimits.MaxVisibilityDelay)
        {
            delay = QueueMessageLimits.MaxVisibilityDelay;
        }

        if (delay < TimeSpan.Zero)
        {
            delay = TimeSpan.Zero;
        }

        await queues.Outbox.SendAsync(new BinaryData(EnvelopeCodec.Serialize(next)), delay, outboxOptions.Value.MessageTimeToLive, EndingToken).ConfigureAwait(false);
        metrics.Deferred(next.Route, reason);
        Log.Deferred(logger, next.Id, next.Route, delay.TotalSeconds, reason, next.Attempt);
        return new DispatchResult(DispatchOutcome.Deferred, reason, status, delay);
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

/// <summary>Why a message is dead-lettered, as the dispatcher knows it: the reason code, what explains it, and where it was going.</summary>
/// <param name="Code">One of <see cref="DeadLetterCodes"/>.</param>
/// <param name="Detail">What an operator needs to act: the render error, the transport failure, Braze's error types.</param>
internal sealed record DeadLetterCause(string Code, string? Detail)
{
    /// <summary>The workspace the template named (its name, never its key).</summary>
    public string? Workspace { get; init; }

    /// <summary>The Braze REST path, when the template got that far; else the answer's.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Braze's last answer: its status and message go into the dead letter.</summary>
    public BrazeResponse? Response { get; init; }
}
