using System.Diagnostics;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>Where a message ended after one dispatch.</summary>
public enum DispatchOutcome
{
    Delivered,
    Aborted,
    Deferred,
    DeadLettered,

    /// <summary>Its delivery was already accepted by Braze (a repeat): nothing was sent.</summary>
    Duplicate,
}

/// <summary>The end of one dispatch: the outcome, its reason code (dead-letter or defer reason) and the last HTTP status.</summary>
public sealed record DispatchResult(DispatchOutcome Outcome, string? Reason = null, int? StatusCode = null, TimeSpan? Delay = null);

/// <summary>
/// Takes one outbox message to its end: read the envelope, stop a crash loop, render the route's template, hand the
/// request to the batcher (coalescing, pacing, claims, sending) and end the message from its own report. Nothing here
/// waits longer than <see cref="CoalescingOptions.BatchLinger"/> plus <see cref="Pacing.PacingOptions.ShortRateLimitWait"/> for
/// budget; longer waits become delayed messages. Exceptions escape only when storage itself fails, so the host's retry
/// and poison queue stay a backstop for crashes.
/// </summary>
public interface IOutboxDispatcher
{
    /// <summary>Takes one outbox message (as the queue trigger hands it over) to its end; <paramref name="dequeueCount"/> is the queue's count.</summary>
    Task<DispatchResult> DispatchAsync(string message, long dequeueCount, CancellationToken cancellationToken);
}

/// <inheritdoc cref="IOutboxDispatcher"/>
internal sealed class OutboxDispatcher : IOutboxDispatcher
{
    private readonly IWebhookRenderer _renderer;
    private readonly DeliveryBatcher _batcher;
    private readonly DeliveryEndings _endings;
    private readonly BrazeWorkspaces _workspaces;
    private readonly IOptions<DeliveryRetryOptions> _retry;
    private readonly MergeRules _merging;
    private readonly TraceRecorder _trace;
    private readonly TimeProvider _time;
    private readonly MessageBodyStore _bodies;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<OutboxDispatcher> _logger;

    public OutboxDispatcher(
        IWebhookRenderer renderer, DeliveryBatcher batcher, DeliveryEndings endings, BrazeWorkspaces workspaces,
        IOptions<DeliveryRetryOptions> retry, MergeRules merging, MessageBodyStore bodies, TraceRecorder trace, TimeProvider time, RelayMetrics metrics,
        ILogger<OutboxDispatcher> logger)
    {
        _renderer = renderer;
        _batcher = batcher;
        _endings = endings;
        _workspaces = workspaces;
        _retry = retry;
        _merging = merging;
        _bodies = bodies;
        _trace = trace;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task<DispatchResult> DispatchAsync(string message, long dequeueCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        WebhookEnvelope envelope;
        try
        {
            envelope = EnvelopeCodec.Deserialize(message);
        }
        catch (EnvelopeFormatException ex)
        {
            Log.InvalidEnvelope(_logger, ex.Message);
            return await _endings.DeadLetterUnreadableAsync(message, ex.Message).ConfigureAwait(false);
        }

        using var activity = RelayActivity.StartDelivery(envelope.Route, envelope.Id, envelope.Attempt, envelope.CorrelationId);
        using var scope = _logger.BeginScope(new Dictionary<string, object?>
        {
            ["MessageId"] = envelope.Id,
            ["Route"] = envelope.Route,
            ["Attempt"] = envelope.Attempt,
            ["CorrelationId"] = envelope.CorrelationId,
            ["traceparent"] = envelope.CorrelationId,
        });

        Log.DispatchStarted(_logger, envelope.Id, envelope.Route, envelope.Attempt, dequeueCount, envelope.CorrelationId);
        if (dequeueCount > 1)
        {
            Log.Redelivered(_logger, envelope.Id, dequeueCount);
        }

        var trail = new DispatchTrail();
        var result = envelope.PayloadBlob is { } blob
            ? await DispatchKeptBodyAsync(envelope, blob, dequeueCount, trail, cancellationToken).ConfigureAwait(false)
            : await DispatchEnvelopeAsync(envelope, dequeueCount, trail, cancellationToken).ConfigureAwait(false);
        // After the ending, and without waiting: the record is for the operator's trace, never part of the delivery.
        if (TraceOf(envelope, result, trail.Item) is { } record)
        {
            _trace.Record(record);
        }

        activity?.SetTag("relay.outcome", result.Outcome.ToString());
        if (result.Outcome == DispatchOutcome.DeadLettered)
        {
            activity?.SetStatus(ActivityStatusCode.Error, result.Reason);
        }

        return result;
    }

    /// <summary>
    /// The claim-check: reads the body from its blob, dispatches, and empties the blob once the message has ended
    /// (delivered, a duplicate, aborted). Deferred copies and dead letters keep it: their message lives on. A storage
    /// failure reading it fails the run, and the host retries the message.
    /// </summary>
    private async Task<DispatchResult> DispatchKeptBodyAsync(WebhookEnvelope envelope, string blob, long dequeueCount, DispatchTrail trail, CancellationToken cancellationToken)
    {
        switch (await _bodies.ReadAsync(blob, cancellationToken).ConfigureAwait(false))
        {
            case StoredBody.Found found:
                var result = await DispatchEnvelopeAsync(envelope with { PayloadJson = found.Json }, dequeueCount, trail, cancellationToken).ConfigureAwait(false);
                if (result.Outcome is DispatchOutcome.Delivered or DispatchOutcome.Duplicate or DispatchOutcome.Aborted)
                {
                    await _bodies.EndAsync(blob).ConfigureAwait(false);
                }

                return result;

            case StoredBody.Ended:
                // Another copy of this very message (a redelivery beside a deferral copy) already ended it.
                Log.BodyAlreadyEnded(_logger, envelope.Id, envelope.Route, blob);
                _metrics.Duplicate(envelope.Route, "dispatch");
                return new DispatchResult(DispatchOutcome.Duplicate, "duplicate");

            default:
                return await _endings.DeadLetterAsync(envelope, new DeadLetterCause(DeadLetterCodes.PayloadMissing,
                    $"the webhook's body was kept in blob '{blob}' of the body container, which no longer holds it; the payload cannot be recovered")).ConfigureAwait(false);
        }
    }

    private async Task<DispatchResult> DispatchEnvelopeAsync(WebhookEnvelope envelope, long dequeueCount, DispatchTrail trail, CancellationToken cancellationToken)
    {
        if (dequeueCount >= _retry.Value.MaxDequeueCount)
        {
            // Earlier runs of this very message never finished (a crash, an out-of-memory, a timeout): stop before the
            // host's own limit moves it to the poison queue without a reason.
            return await _endings.DeadLetterAsync(envelope, new DeadLetterCause(DeadLetterCodes.CrashLoop,
                $"dequeued {dequeueCount} times: {dequeueCount - 1} earlier run(s) ended without finishing (crash, out-of-memory or timeout); not sent again. " +
                "An earlier run may have reached Braze; check before replaying.")).ConfigureAwait(false);
        }

        RenderOutcome outcome;
        try
        {
            outcome = _renderer.Render(envelope);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            outcome = new RenderOutcome.Failed(envelope.Route, $"the renderer threw {ex.GetType().Name}");
        }

        switch (outcome)
        {
            case RenderOutcome.Aborted aborted:
                Log.Aborted(_logger, envelope.Route, envelope.Id, aborted.Reason);
                _metrics.Aborted(envelope.Route);
                return new DispatchResult(DispatchOutcome.Aborted, aborted.Reason);

            case RenderOutcome.Failed failed:
                var where = failed.Line is { } line ? $" (line {line}, column {failed.Column ?? 0})" : string.Empty;
                Log.TemplateFailed(_logger, envelope.Route, envelope.Id, failed.Error + where);
                return await _endings.DeadLetterAsync(envelope, new DeadLetterCause(DeadLetterCodes.TemplateError, failed.Error + where)).ConfigureAwait(false);

            case RenderOutcome.Rendered rendered when !BrazeEndpoints.IsAllowed(rendered.Endpoint):
                return await _endings.DeadLetterAsync(envelope, new DeadLetterCause(DeadLetterCodes.EndpointNotAllowed,
                    $"the template targets '{rendered.Endpoint}', which is not an allow-listed Braze REST path") { Workspace = rendered.Workspace, Endpoint = rendered.Endpoint }).ConfigureAwait(false);

            case RenderOutcome.Rendered rendered when !_workspaces.TryGet(rendered.Workspace, out _):
                return await _endings.DeadLetterAsync(envelope, new DeadLetterCause(DeadLetterCodes.WorkspaceNotConfigured,
                    $"the template sends to workspace '{rendered.Workspace}', which is not configured (Braze__Workspaces__{rendered.Workspace}__RestEndpoint and __ApiKey)")
                    { Workspace = rendered.Workspace, Endpoint = rendered.Endpoint }).ConfigureAwait(false);

            case RenderOutcome.Rendered rendered:
                var item = Prepare(envelope, rendered);
                trail.Item = item;
                if (item.Coalesce && item.Shape.AloneBecause is { } alone)
                {
                    Log.SentAlone(_logger, envelope.Id, envelope.Route, alone);
                }

                var report = await _batcher.SubmitAsync(item, cancellationToken).ConfigureAwait(false);
                return await _endings.EndAsync(item, report).ConfigureAwait(false);

            default:
                throw new InvalidOperationException($"Unknown render outcome {outcome.GetType().Name}.");
        }
    }

    private TraceRecord? TraceOf(WebhookEnvelope envelope, DispatchResult result, DeliveryItem? item)
    {
        TraceEvent? traceEvent = result.Outcome switch
        {
            DispatchOutcome.Delivered => TraceEvent.Delivered,
            DispatchOutcome.Deferred => TraceEvent.Deferred,
            DispatchOutcome.DeadLettered => TraceEvent.DeadLettered,
            DispatchOutcome.Aborted => TraceEvent.Aborted,
            DispatchOutcome.Duplicate => TraceEvent.Duplicate,
            _ => null,
        };
        if (traceEvent is null)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        return new TraceRecord(envelope.Id, traceEvent.Value, now)
        {
            Route = envelope.Route,
            Reason = result.Reason,
            Status = result.StatusCode,
            BatchSize = result.Outcome == DispatchOutcome.Delivered && item is { RequestMessages: > 0 } ? item.RequestMessages : null,
            Until = result.Delay is { } delay ? now + delay : null,
            Endpoint = item?.Endpoint,
            Workspace = item?.Workspace.Name,
            Attempt = envelope.Attempt,
        };
    }

    private DeliveryItem Prepare(WebhookEnvelope envelope, RenderOutcome.Rendered rendered)
    {
        var coalesce = _merging.MayWaitForCompany(rendered.Coalesce, envelope.SendAlone);
        var shape = MergeRules.Shape(rendered.Endpoint, rendered.BodyJson, coalesce);
        var policy = AmbiguityPolicy.For(rendered.OnAmbiguous, rendered.Endpoint, shape.Body);
        var key = string.IsNullOrEmpty(rendered.IdempotencyKey) ? envelope.Id : rendered.IdempotencyKey;
        return new DeliveryItem(envelope, _workspaces.Get(rendered.Workspace), rendered.Endpoint, shape, key, policy, coalesce);
    }
}

/// <summary>What one dispatch got as far as, for its trace record: the delivery item, once the template rendered.</summary>
internal sealed class DispatchTrail
{
    public DeliveryItem? Item { get; set; }
}
