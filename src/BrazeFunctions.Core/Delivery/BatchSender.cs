using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Pacing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace BrazeFunctions.Core.Delivery;

/// <summary>
/// Sends one batch and gives each item its own report. Per request: budget from the pacer, claims just before sending
/// (refreshed before every resend), the merged body, Braze's answer back to the pacer. Transient failures that prove
/// nothing was applied (503, 408, a connection never made) and short 429 waits are retried in place through one Polly
/// pipeline built once; after an ambiguous failure only items whose policy allows a repeat go again. Every ticket is
/// either completed with Braze's answer or given back, whatever throws. What an answer means for each item and which
/// requests follow a refusal is <see cref="BatchConclusions"/>'s.
/// </summary>
internal sealed class BatchSender
{
    private readonly BrazeClient _client;
    private readonly RateLimitPacer _pacer;
    private readonly DeliveryClaims _claims;
    private readonly BatchConclusions _conclusions;
    private readonly IOptions<PacingOptions> _pacing;
    private readonly TimeProvider _time;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<BatchSender> _logger;
    private readonly ResiliencePipeline<RequestAttempt> _pipeline;

    public BatchSender(
        BrazeClient client, RateLimitPacer pacer, DeliveryClaims claims, UsersTrackCaps caps, IOptions<DeliveryRetryOptions> retry, IOptions<PacingOptions> pacing, IOptions<CoalescingOptions> coalescing,
        TimeProvider time, IRandomSource random, RelayMetrics metrics, ILogger<BatchSender> logger)
    {
        ArgumentNullException.ThrowIfNull(retry);
        ArgumentNullException.ThrowIfNull(pacing);
        ArgumentNullException.ThrowIfNull(random);
        _client = client;
        _pacer = pacer;
        _claims = claims;
        _conclusions = new BatchConclusions(pacer, caps, pacing, coalescing, metrics, logger);
        _pacing = pacing;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _pipeline = BuildPipeline(retry.Value, pacing.Value.ShortRateLimitWait, time, random);
    }

    /// <summary>
    /// Sends <paramref name="items"/> (in receipt order) starting with <paramref name="ticket"/> (null: the first request asks
    /// the pacer itself); every item ends with a report.
    /// </summary>
    public async Task SendAsync(IReadOnlyList<DeliveryItem> items, PaceTicket? ticket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var groups = new Queue<SendGroup>();
        groups.Enqueue(new SendGroup([.. items], ticket, ResentAfterNamedErrors: false));
        var extraRequests = 0;
        while (groups.TryDequeue(out var group))
        {
            var state = new AttemptState(this, group, cancellationToken);
            RequestAttempt attempt;
            try
            {
                attempt = await _pipeline.ExecuteAsync(static (s, _) => s.Sender.AttemptAsync(s), state, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                state.Release();
                foreach (var item in state.Current.Concat(groups.SelectMany(g => g.Items)))
                {
                    item.Finish(new DeliveryReport.ShutDown());
                }

                throw;
            }

            extraRequests += _conclusions.Conclude(group, state.Current, attempt.Response, attempt.Merged, attempt.Hold, groups, extraRequests);
        }
    }

    private static ResiliencePipeline<RequestAttempt> BuildPipeline(DeliveryRetryOptions options, TimeSpan shortRateLimitWait, TimeProvider time, IRandomSource random)
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
                MaxDelay = shortRateLimitWait > options.InPlaceRetryDelay ? shortRateLimitWait : options.InPlaceRetryDelay,
                Randomizer = random.NextDouble,
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result is { RetryInPlace: true }),
                // A short 429 wait is served by the pacer when the next attempt asks for budget, shared with every other request.
                DelayGenerator = static args => ValueTask.FromResult<TimeSpan?>(args.Outcome.Result?.Response?.Kind == BrazeOutcomeKind.RateLimited ? TimeSpan.Zero : null),
                OnRetry = static args =>
                {
                    if (args.Outcome.Result is { } attempt)
                    {
                        attempt.State.Sender.OnRetry(attempt, args.AttemptNumber + 1, args.RetryDelay);
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
        var key = PaceKey.For(first.Workspace.Name, first.Endpoint);
        var ticket = state.TakeTicket();
        if (ticket is null)
        {
            var decision = await _pacer.AcquireAsync(key, first.Endpoint, _pacing.Value.ShortRateLimitWait, state.CancellationToken).ConfigureAwait(false);
            if (decision.Ticket is null)
            {
                return RequestAttempt.Held(state, decision);
            }

            ticket = decision.Ticket;
        }

        // From here the ticket is completed with Braze's answer or given back, whatever throws (Abandon after Complete is a no-op).
        try
        {
            // Claims come last before the request: after the linger and any budget wait.
            if (!await ClaimAllAsync(state).ConfigureAwait(false))
            {
                return RequestAttempt.Nothing(state);
            }

            if (_pacer.IsStale(ticket))
            {
                // Slow claims carried the request past its window: sent now, it could land in the next window, which the
                // fleet may have spent already. Ask again (the claims stay: they are this batch's).
                _pacer.Abandon(ticket);
                Log.TicketWentStale(_logger, first.Workspace.Name, first.Endpoint, state.Current.Count);
                var again = await _pacer.AcquireAsync(key, first.Endpoint, _pacing.Value.ShortRateLimitWait, state.CancellationToken).ConfigureAwait(false);
                if (again.Ticket is null)
                {
                    return RequestAttempt.Held(state, again);
                }

                ticket = again.Ticket;
            }

            return await SendOnceAsync(state, ticket, key).ConfigureAwait(false);
        }
        finally
        {
            _pacer.Abandon(ticket);
        }
    }

    /// <summary>Claims (or refreshes the claims of) every item still going; the ones whose record ends them leave the group.</summary>
    private async Task<bool> ClaimAllAsync(AttemptState state)
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

        return state.Current.Count > 0;
    }

    private async Task<RequestAttempt> SendOnceAsync(AttemptState state, PaceTicket ticket, PaceKey key)
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
        await _pacer.CompleteAsync(ticket, response, state.CancellationToken).ConfigureAwait(false);
        foreach (var item in state.Current)
        {
            item.LastAnsweredAt = response.ReceivedAt;
        }

        return new RequestAttempt(state, response, merged, RetryInPlace(state, response, key), null);
    }

    /// <summary>Whether the pipeline should send again in place; after an ambiguous failure the items that may not repeat end here.</summary>
    private bool RetryInPlace(AttemptState state, BrazeResponse response, PaceKey key)
    {
        if (response.Kind == BrazeOutcomeKind.RateLimited)
        {
            return _pacer.ClosedFor(key) <= _pacing.Value.ShortRateLimitWait;
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

    /// <summary>One group's pass through the pipeline: the items still going, and the ticket not yet used.</summary>
    private sealed class AttemptState(BatchSender sender, SendGroup group, CancellationToken cancellationToken)
    {
        private PaceTicket? _ticket = group.Ticket;

        public BatchSender Sender { get; } = sender;

        public SendGroup Group { get; } = group;

        public List<DeliveryItem> Current { get; } = [.. group.Items];

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public PaceTicket? TakeTicket() => Interlocked.Exchange(ref _ticket, null);

        /// <summary>Returns an unused ticket (on shutdown).</summary>
        public void Release()
        {
            if (TakeTicket() is { } ticket)
            {
                Sender._pacer.Abandon(ticket);
            }
        }
    }

    /// <summary>The result of one request: the answer (null when no budget or nothing left to send) and what comes next.</summary>
    private sealed record RequestAttempt(AttemptState State, BrazeResponse? Response, MergedRequest? Merged, bool RetryInPlace, PaceDecision? Hold)
    {
        public static RequestAttempt Held(AttemptState state, PaceDecision decision) => new(state, null, null, RetryInPlace: false, decision);

        public static RequestAttempt Nothing(AttemptState state) => new(state, null, null, RetryInPlace: false, null);
    }
}
