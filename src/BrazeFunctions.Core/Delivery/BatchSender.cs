using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Pacing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace BrazeFunctions.Core.Delivery;

/// <summary>
/// Sends one batch and gives each item its own report. Per request: a lease from the pacer, claims just before sending
/// (refreshed before every resend), the merged body, Braze's answer back to the lease. Transient failures that prove
/// nothing was applied (503, 408, a connection never made) and 429s whose wait the pacer serves in place are retried
/// through one Polly pipeline built once; the pacer alone decides that wait, and the time a batch that leaves can be
/// sent. After an ambiguous failure only items whose policy allows a repeat go again. Every lease is either completed
/// with Braze's answer or given back, whatever throws. What a final answer means for each item (and which follow-up
/// requests it takes) is <see cref="BatchConclusion"/>'s.
/// </summary>
internal sealed class BatchSender
{
    private readonly BrazeClient _client;
    private readonly RateLimitPacer _pacer;
    private readonly DeliveryClaims _claims;
    private readonly BatchConclusion _conclusion;
    private readonly TimeProvider _time;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<BatchSender> _logger;
    private readonly ResiliencePipeline<RequestAttempt> _pipeline;

    public BatchSender(
        BrazeClient client, RateLimitPacer pacer, DeliveryClaims claims, BatchConclusion conclusion, IOptions<DeliveryRetryOptions> retry,
        TimeProvider time, IRandomSource random, RelayMetrics metrics, ILogger<BatchSender> logger)
    {
        ArgumentNullException.ThrowIfNull(retry);
        ArgumentNullException.ThrowIfNull(pacer);
        ArgumentNullException.ThrowIfNull(random);
        _client = client;
        _pacer = pacer;
        _claims = claims;
        _conclusion = conclusion;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _pipeline = BuildPipeline(retry.Value, pacer.ShortWait, time, random);
    }

    /// <summary>The pacer's request for an item's budget: its workspace, endpoint and bucket.</summary>
    public static PaceRequest PaceRequestOf(DeliveryItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return new PaceRequest(item.Workspace, item.Endpoint, item.Bucket);
    }

    /// <summary>Sends <paramref name="items"/> (in receipt order) starting with <paramref name="lease"/>; every item ends with a report.</summary>
    public async Task SendAsync(IReadOnlyList<DeliveryItem> items, PaceLease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var groups = new Queue<SendGroup>();
        groups.Enqueue(new SendGroup([.. items], lease, ResentAfterNamedErrors: false));
        var extraRequests = 0;
        while (groups.TryDequeue(out var group))
        {
            var state = new AttemptState(group, cancellationToken);
            RequestAttempt attempt;
            try
            {
                attempt = await _pipeline.ExecuteAsync(static (s, _) => s.Sender.AttemptAsync(s.State), (Sender: this, State: state), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                state.TakeLease()?.Dispose();
                foreach (var item in state.Current.Concat(groups.SelectMany(g => g.Items)))
                {
                    item.Finish(new DeliveryReport.ShutDown());
                }

                throw;
            }

            extraRequests += _conclusion.Conclude(state, attempt, groups, extraRequests);
        }
    }

    private ResiliencePipeline<RequestAttempt> BuildPipeline(DeliveryRetryOptions options, TimeSpan longestDelay, TimeProvider time, IRandomSource random)
    {
        var builder = new ResiliencePipelineBuilder<RequestAttempt> { TimeProvider = time };
        if (options.InPlaceRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<RequestAttempt>
            {
                MaxRetryAttempts = options.InPlaceRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.InPlaceRetryDelay,
                MaxDelay = longestDelay > options.InPlaceRetryDelay ? longestDelay : options.InPlaceRetryDelay,
                Randomizer = random.NextDouble,
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result is { RetryInPlace: true }),
                // After a 429 the next attempt asks the pacer at once: the pacer serves the wait, shared with every other request.
                DelayGenerator = static args => ValueTask.FromResult<TimeSpan?>(args.Outcome.Result?.Response?.Kind == BrazeOutcomeKind.RateLimited ? TimeSpan.Zero : null),
                OnRetry = args =>
                {
                    if (args.Outcome.Result is { } attempt)
                    {
                        OnRetry(attempt, args.AttemptNumber + 1, args.RetryDelay);
                    }

                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.Build();
    }

    private void OnRetry(RequestAttempt attempt, int retry, TimeSpan delay)
    {
        var first = attempt.State.Group.Items[0];
        _metrics.Retried(first.Workspace.Name, first.Endpoint);
        Log.RetryingRequest(_logger, first.Workspace.Name, first.Endpoint, attempt.State.Current.Count, retry, attempt.Response?.ToString() ?? "no budget", delay.TotalMilliseconds);
    }

    /// <summary>One request: budget, claims, send, learn. Decides whether the pipeline should try again in place.</summary>
    private async ValueTask<RequestAttempt> AttemptAsync(AttemptState state)
    {
        var first = state.Group.Items[0];
        var lease = state.TakeLease() ?? await _pacer.AcquireAsync(PaceRequestOf(first), state.CancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            return new RequestAttempt(state, null, null, RetryInPlace: false) { Refusal = lease };
        }

        // From here the lease is completed with Braze's answer or given back, whatever throws (Dispose after CompleteAsync does nothing).
        try
        {
            // Claims come last before the request: after the linger and any budget wait.
            await ClaimAllAsync(state).ConfigureAwait(false);
            if (state.Current.Count == 0)
            {
                return new RequestAttempt(state, null, null, RetryInPlace: false);
            }

            if (lease.IsStale)
            {
                // Slow claims carried the request past its window: sent now, it could land in the next window, which the
                // fleet may have spent already. Ask again (the claims stay: they are this batch's).
                lease.Dispose();
                Log.LeaseWentStale(_logger, first.Workspace.Name, first.Endpoint, state.Current.Count);
                lease = await _pacer.AcquireAsync(PaceRequestOf(first), state.CancellationToken).ConfigureAwait(false);
                if (!lease.IsAcquired)
                {
                    return new RequestAttempt(state, null, null, RetryInPlace: false) { Refusal = lease };
                }
            }

            return await SendRequestAsync(state, lease).ConfigureAwait(false);
        }
        finally
        {
            lease.Dispose();
        }
    }

    /// <summary>Claims (or refreshes the claims of) every item still going; items whose record ends them (a duplicate, a claim held elsewhere) leave the group.</summary>
    private async Task ClaimAllAsync(AttemptState state)
    {
        var claims = await Task.WhenAll(state.Current.Select(i => _claims.ClaimAsync(i, state.CancellationToken))).ConfigureAwait(false);
        for (var i = claims.Length - 1; i >= 0; i--)
        {
            if (claims[i] is { } report)
            {
                state.Current[i].Finish(report);
                state.Current.RemoveAt(i);
            }
        }
    }

    private async ValueTask<RequestAttempt> SendRequestAsync(AttemptState state, PaceLease lease)
    {
        var first = state.Group.Items[0];
        var merged = RequestMerger.Merge(state.Current);
        _metrics.RequestObjects(first.Workspace.Name, first.Endpoint, merged.Objects);
        var sentAt = _time.GetUtcNow();
        foreach (var item in state.Current)
        {
            item.FirstSentAt ??= sentAt;
            item.RequestMessages = state.Current.Count;
        }

        var response = await _client.SendAsync(first.Workspace, first.Endpoint, merged.BodyJson, state.CancellationToken).ConfigureAwait(false);
        var verdict = await lease.CompleteAsync(response, state.CancellationToken).ConfigureAwait(false);
        state.LastResponse = response;
        foreach (var item in state.Current)
        {
            item.LastAnsweredAt = response.ReceivedAt;
        }

        return new RequestAttempt(state, response, merged, RetryInPlace(state, response, verdict)) { ClosedFor = verdict.ClosedFor };
    }

    /// <summary>
    /// Whether the pipeline tries again in place: after a 429 when the pacer says its wait is served in place, and after a
    /// transient failure, where an ambiguous one keeps only items whose policy accepts a repeat.
    /// </summary>
    private static bool RetryInPlace(AttemptState state, BrazeResponse response, PaceVerdict verdict)
    {
        if (response.Kind == BrazeOutcomeKind.RateLimited)
        {
            return verdict.WaitInPlace;
        }

        if (response.Kind != BrazeOutcomeKind.Transient)
        {
            return false;
        }

        if (response.IsAmbiguous)
        {
            // Braze may have applied it: only items whose policy accepts a repeat go again; the others end now.
            for (var i = state.Current.Count - 1; i >= 0; i--)
            {
                if (!state.Current[i].MayResendWhenAmbiguous)
                {
                    state.Current[i].Finish(new DeliveryReport.Failed(response, Ambiguous: true));
                    state.Current.RemoveAt(i);
                }
            }
        }

        return state.Current.Count > 0;
    }
}
