using System.Diagnostics;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>Where a message ended after one dispatch.</summary>
public enum DispatchOutcome
{
    Delivered,
    Aborted,
    Deferred,
    DeadLettered,
}

/// <summary>The end of one dispatch: the outcome, its reason code (dead-letter or defer reason) and the last HTTP status.</summary>
public sealed record DispatchResult(DispatchOutcome Outcome, string? Reason = null, int? StatusCode = null, TimeSpan? Delay = null);

/// <summary>
/// Takes one outbox message to its end: render the route's template, send it to Braze, and then deliver, abort, defer
/// (re-enqueue with a visibility delay) or dead-letter it with a reason. Nothing here sleeps for longer than
/// <see cref="DispatchOptions.ShortRateLimitWait"/>; longer waits become delayed messages. Exceptions escape only when
/// storage itself fails, so the host's retry and poison queue stay a backstop for crashes.
/// </summary>
public sealed class OutboxDispatcher(
    IWebhookRenderer renderer,
    BrazeClient braze,
    RateLimitGate gate,
    RelayQueues queues,
    IOptions<DispatchOptions> dispatchOptions,
    IOptions<OutboxOptions> outboxOptions,
    TimeProvider time,
    RelayMetrics metrics,
    ILogger<OutboxDispatcher> logger)
{
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
            Log.InvalidEnvelope(logger, ex.Message);
            var reason = new DeadLetterReason("invalid_envelope", null, null, ex.Message, null, "(unknown)", "(unknown)", 0, null, time.GetUtcNow(), null);
            await WriteDeadLetterAsync(reason, null, message, cancellationToken).ConfigureAwait(false);
            return new DispatchResult(DispatchOutcome.DeadLettered, reason.Code);
        }

        using var activity = RelayActivity.StartDelivery(envelope.Route, envelope.Id, envelope.Attempt, envelope.CorrelationId);
        using var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["MessageId"] = envelope.Id,
            ["Route"] = envelope.Route,
            ["Attempt"] = envelope.Attempt,
            ["CorrelationId"] = envelope.CorrelationId,
            ["traceparent"] = envelope.CorrelationId,
        });

        Log.DispatchStarted(logger, envelope.Id, envelope.Route, envelope.Attempt, dequeueCount, envelope.CorrelationId);
        if (dequeueCount > 1)
        {
            Log.Redelivered(logger, envelope.Id, dequeueCount);
        }

        var result = await DispatchEnvelopeAsync(envelope, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("relay.outcome", result.Outcome.ToString());
        if (result.Outcome == DispatchOutcome.DeadLettered)
        {
            activity?.SetStatus(ActivityStatusCode.Error, result.Reason);
        }

        return result;
    }

    private async Task<DispatchResult> DispatchEnvelopeAsync(WebhookEnvelope envelope, CancellationToken cancellationToken)
    {
        RenderOutcome outcome;
        try
        {
            outcome = renderer.Render(envelope);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            outcome = new RenderOutcome.Failed(envelope.Route, $"the renderer threw {ex.GetType().Name}");
        }

        switch (outcome)
        {
            case RenderOutcome.Aborted aborted:
                Log.Aborted(logger, envelope.Route, envelope.Id, aborted.Reason);
                metrics.Aborted(envelope.Route);
                return new DispatchResult(DispatchOutcome.Aborted, aborted.Reason);

            case RenderOutcome.Failed failed:
                var where = failed.Line is { } line ? $" (line {line}, column {failed.Column ?? 0})" : string.Empty;
                Log.TemplateFailed(logger, envelope.Route, envelope.Id, failed.Error + where);
                return await DeadLetterAsync(envelope, "template_error", null, null, failed.Error + where, null, cancellationToken).ConfigureAwait(false);

            case RenderOutcome.Rendered rendered when !BrazeApiPaths.IsAllowed(rendered.Endpoint):
                return await DeadLetterAsync(envelope, "endpoint_not_allowed", null, null,
                    $"the template targets '{rendered.Endpoint}', which is not an allow-listed Braze REST path", rendered.Endpoint, cancellationToken).ConfigureAwait(false);

            case RenderOutcome.Rendered rendered:
                return await SendAsync(envelope, rendered, cancellationToken).ConfigureAwait(false);

            default:
                throw new InvalidOperationException($"Unknown render outcome {outcome.GetType().Name}.");
        }
    }

    private async Task<DispatchResult> SendAsync(WebhookEnvelope envelope, RenderOutcome.Rendered rendered, CancellationToken cancellationToken)
    {
        var options = dispatchOptions.Value;
        var family = BrazeApiPaths.FamilyOf(rendered.Endpoint);
        var pipeline = BuildPipeline(envelope, family, options);

        var attempt = await pipeline.ExecuteAsync(
            async ct => await AttemptAsync(envelope, rendered, family, options, ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);

        if (attempt.HeldFor is { } held)
        {
            return await DeferForRateLimitAsync(envelope, held, null, cancellationToken).ConfigureAwait(false);
        }

        var response = attempt.Response!;
        switch (response.Kind)
        {
            case BrazeOutcomeKind.Success:
                Delivered(envelope, response);
                return new DispatchResult(DispatchOutcome.Delivered, null, response.StatusCode);

            case BrazeOutcomeKind.RateLimited:
                var wait = gate.Remaining(family);
                return await DeferForRateLimitAsync(envelope, wait > TimeSpan.Zero ? wait : options.RateLimitFallbackWait, response, cancellationToken).ConfigureAwait(false);

            case BrazeOutcomeKind.Transient:
                var delays = options.RetryDelays;
                if (envelope.Attempt < delays.Count)
                {
                    var delay = delays[envelope.Attempt] * (1 + (Random.Shared.NextDouble() * options.RetryScheduleJitter));
                    return await DeferAsync(envelope with { Attempt = envelope.Attempt + 1 }, delay, "retry_schedule", response.StatusCode, cancellationToken).ConfigureAwait(false);
                }

                return await DeadLetterAsync(envelope, "retries_exhausted", response, response.Message,
                    $"the last of {delays.Count} scheduled retries ended with {Describe(response)}", response.Endpoint, cancellationToken).ConfigureAwait(false);

            default:
                var detail = response.PartialErrors.Count > 0 ? "Braze errors: " + string.Join("; ", response.PartialErrors.Take(10).Select(e => e.Type)) : null;
                return await DeadLetterAsync(envelope, "http_" + response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture), response, response.Message, detail, response.Endpoint, cancellationToken).ConfigureAwait(false);
        }
    }

    private ResiliencePipeline<AttemptResult> BuildPipeline(WebhookEnvelope envelope, string family, DispatchOptions options)
    {
        var builder = new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = time };
        if (options.InPlaceRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<AttemptResult>
            {
                MaxRetryAttempts = options.InPlaceRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.InPlaceRetryDelay,
                MaxDelay = options.ShortRateLimitWait > options.InPlaceRetryDelay ? options.ShortRateLimitWait : options.InPlaceRetryDelay,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { Response: { } r }
                    && (r.Kind == BrazeOutcomeKind.Transient
                        || (r.Kind == BrazeOutcomeKind.RateLimited && gate.Remaining(family) <= options.ShortRateLimitWait))),
                // A short 429 wait is served by the gate at the start of the next attempt, shared with every other dispatch.
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Outcome.Result?.Response?.Kind == BrazeOutcomeKind.RateLimited ? TimeSpan.Zero : null),
                OnRetry = args =>
                {
                    metrics.Retried(envelope.Route);
                    Log.RetryingInPlace(logger, envelope.Id, envelope.Route, args.AttemptNumber + 1, Describe(args.Outcome.Result?.Response), args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.Build();
    }

    private async ValueTask<AttemptResult> AttemptAsync(WebhookEnvelope envelope, RenderOutcome.Rendered rendered, string family, DispatchOptions options, CancellationToken cancellationToken)
    {
        for (var wait = gate.Remaining(family); wait > TimeSpan.Zero; wait = gate.Remaining(family))
        {
            if (wait > options.ShortRateLimitWait)
            {
                return new AttemptResult(null, wait);
            }

            Log.WaitingForRateLimit(logger, envelope.Id, envelope.Route, family, wait.TotalMilliseconds);
            // Jitter after the reset keeps the waiting dispatches from landing on Braze in the same instant.
            await Task.Delay(wait + (options.RateLimitJitter * Random.Shared.NextDouble()), time, cancellationToken).ConfigureAwait(false);
        }

        var response = await braze.SendAsync(rendered.Endpoint, rendered.BodyJson, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        if (response.Kind == BrazeOutcomeKind.RateLimited)
        {
            var hold = response.RateLimit.WaitAfterRateLimit(now, options.RateLimitFallbackWait);
            gate.Close(family, now + hold);
            Log.RateLimited(logger, response.Endpoint, family, envelope.Id, hold.TotalMilliseconds);
        }
        else if (response.RateLimit is { Remaining: <= 0, Reset: { } reset } && reset > now)
        {
            // Braze said the window is spent: the next request would only earn a 429.
            gate.Close(family, reset);
        }

        return new AttemptResult(response, null);
    }

    private void Delivered(WebhookEnvelope envelope, BrazeResponse response)
    {
        var age = time.GetUtcNow() - envelope.ReceivedAt;
        metrics.Delivered(envelope.Route, response.Endpoint);
        metrics.DeliveryAge(envelope.Route, age);
        foreach (var error in response.PartialErrors)
        {
            Log.PartialError(logger, envelope.Id, envelope.Route, response.Endpoint, error.Type, error.InputArray, error.Index);
            metrics.PartialError(envelope.Route, error.Type);
        }

        Log.Delivered(logger, envelope.Id, envelope.Route, response.Endpoint, response.StatusCode, age.TotalSeconds, envelope.Attempt, envelope.CorrelationId);
    }

    private async Task<DispatchResult> DeferForRateLimitAsync(WebhookEnvelope envelope, TimeSpan wait, BrazeResponse? response, CancellationToken cancellationToken)
    {
        var options = dispatchOptions.Value;
        // Spread the deferred messages over a tenth of the wait, so they do not all return at the reset.
        var delay = wait + (options.RateLimitJitter * Random.Shared.NextDouble()) + (wait * 0.1 * Random.Shared.NextDouble());
        if (time.GetUtcNow() + delay - envelope.ReceivedAt > options.MaxMessageAge)
        {
            return await DeadLetterAsync(envelope, "expired", response, response?.Message,
                $"still rate-limited after {options.MaxMessageAge} since it was received", response?.Endpoint, cancellationToken).ConfigureAwait(false);
        }

        // Rate-limit deferrals keep the attempt count: they are Braze's pacing, not failures of this message.
        return await DeferAsync(envelope, delay, "rate_limit", response?.StatusCode, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DispatchResult> DeferAsync(WebhookEnvelope next, TimeSpan delay, string reason, int? status, CancellationToken cancellationToken)
    {
        if (delay > DispatchOptions.MaxVisibilityDelay)
        {
            delay = DispatchOptions.MaxVisibilityDelay;
        }

        await queues.Outbox.SendAsync(new BinaryData(EnvelopeCodec.Serialize(next)), delay, outboxOptions.Value.MessageTimeToLive, cancellationToken).ConfigureAwait(false);
        metrics.Deferred(next.Route, reason);
        Log.Deferred(logger, next.Id, next.Route, delay.TotalSeconds, reason, next.Attempt);
        return new DispatchResult(DispatchOutcome.Deferred, reason, status, delay);
    }

    private async Task<DispatchResult> DeadLetterAsync(
        WebhookEnvelope envelope, string code, BrazeResponse? response, string? brazeMessage, string? detail, string? endpoint, CancellationToken cancellationToken)
    {
        var status = response is { StatusCode: > 0 } ? response.StatusCode : (int?)null;
        var reason = new DeadLetterReason(code, status, brazeMessage, detail, endpoint, envelope.Route, envelope.Id, envelope.Attempt,
            envelope.ReceivedAt, time.GetUtcNow(), envelope.CorrelationId);
        await WriteDeadLetterAsync(reason, envelope, null, cancellationToken).ConfigureAwait(false);
        return new DispatchResult(DispatchOutcome.DeadLettered, code, status);
    }

    private async Task WriteDeadLetterAsync(DeadLetterReason reason, WebhookEnvelope? envelope, string? rawMessage, CancellationToken cancellationToken)
    {
        var bytes = DeadLetterCodec.Serialize(reason, envelope, rawMessage);
        if (bytes.Length > QueueMessageLimits.MaxBytesBeforeBase64)
        {
            bytes = DeadLetterCodec.Serialize(reason with { BrazeMessage = null, Detail = Shorten(reason.Detail) }, envelope, rawMessage);
        }

        if (bytes.Length > QueueMessageLimits.MaxBytesBeforeBase64 && envelope is not null)
        {
            // The largest envelopes leave no room for a reason; the host's shape (bare envelope) still keeps the message.
            Log.DeadLetterTooLarge(logger, reason.MessageId, reason.Code);
            bytes = EnvelopeCodec.Serialize(envelope);
        }

        // Dead letters never expire: they leave the poison queue by replay or by an operator, not by a timer.
        await queues.Poison.SendAsync(new BinaryData(bytes), null, TimeSpan.FromSeconds(-1), cancellationToken).ConfigureAwait(false);
        metrics.DeadLettered(reason.Route, reason.Code);
        Log.DeadLettered(logger, reason.MessageId, reason.Route, reason.Code, reason.Status, reason.Endpoint, reason.Attempt, reason.CorrelationId);
    }

    private static string? Shorten(string? text) => text is { Length: > 200 } ? text[..200] + "..." : text;

    private static string Describe(BrazeResponse? response) =>
        response is null ? "nothing" : response.TransportError ?? "HTTP " + response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed record AttemptResult(BrazeResponse? Response, TimeSpan? HeldFor);
}
