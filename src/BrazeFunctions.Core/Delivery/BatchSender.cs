using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Pacing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace BrazeFunctions.Core.Delivery;

/// <summary>
/// Sends one batch and gives each item its own report. Per request: budget from the pacer, claims just before sending,
/// the merged body, Braze's answer back to the pacer. Transient failures that prove nothing was applied (503, 408, a
/// connection never made) and short 429 waits are retried in place through one Polly pipeline built once; after an
/// ambiguous failure only items whose policy allows a repeat go again. A refused merged request never dead-letters its
/// good items: Braze's errors that name objects single out their items and the rest is sent once more; without such
/// errors the batch is split in halves within <see cref="CoalescingOptions.MaxSplitRequests"/> extra requests, and what is
/// still unresolved is handed back to be sent alone. "Max Input Length Exceeded" lowers the workspace's object cap.
/// </summary>
internal sealed class BatchSender
{
    private const string MaxInputLengthExceeded = "Max Input Length Exceeded";

    private readonly BrazeClient _client;
    private readonly RateLimitPacer _pacer;
    private readonly DeliveryClaims _claims;
    private readonly UsersTrackCaps _caps;
    private readonly IOptions<PacingOptions> _pacing;
    private readonly IOptions<CoalescingOptions> _coalescing;
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
        _caps = caps;
        _pacing = pacing;
        _coalescing = coalescing;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _pipeline = BuildPipeline(retry.Value, pacing.Value.ShortRateLimitWait, time, random);
    }

    /// <summary>Sends <paramref name="items"/> (in receipt order) starting with <paramref name="ticket"/>; every item ends with a report.</summary>
    public async Task SendAsync(IReadOnlyList<DeliveryItem> items, PaceTicket ticket, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        var groups = new Queue<Group>();
        groups.Enqueue(new Group([.. items], ticket, ResentAfterNamedErrors: false));
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
                foreach (var item in state.Current)
                {
                    item.Finish(new DeliveryReport.ShutDown());
                }

                foreach (var pending in groups.SelectMany(g => g.Items))
                {
                    pending.Finish(new DeliveryReport.ShutDown());
                }

                throw;
            }

            extraRequests += Conclude(state, attempt, groups, extraRequests);
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
                return new RequestAttempt(state, null, null, RetryInPlace: false, Hold: decision.Hold) { HoldReason = decision.HoldReason };
            }

            ticket = decision.Ticket;
        }

        // Claims come last before the request: after the linger and any budget wait.
        var claims = await Task.WhenAll(state.Current.Select(i => _claims.ClaimAsync(i, state.CancellationToken))).ConfigureAwait(false);
        for (var i = claims.Length - 1; i >= 0; i--)
        {
            if (claims[i] is { } report)
            {
                state.Current[i].Finish(report);
                state.Current.RemoveAt(i);
            }
        }

        if (state.Current.Count == 0)
        {
            _pacer.Abandon(ticket);
            return new RequestAttempt(state, null, null, RetryInPlace: false, Hold: null);
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
                return new RequestAttempt(state, null, null, RetryInPlace: false, Hold: again.Hold) { HoldReason = again.HoldReason };
            }

            ticket = again.Ticket;
        }

        var merged = RequestMerger.Merge(state.Current);
        _metrics.RequestObjects(first.Workspace.Name, first.Endpoint, merged.Objects);
        var sentAt = _time.GetUtcNow();
        foreach (var item in state.Current)
        {
            item.FirstSentAt ??= sentAt;
            item.RequestMessages = state.Current.Count;
        }

        BrazeResponse response;
        try
        {
            response = await _client.SendAsync(first.Workspace, first.Endpoint, merged.BodyJson, state.CancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _pacer.Abandon(ticket);
            throw;
        }

        await _pacer.CompleteAsync(ticket, response, state.CancellationToken).ConfigureAwait(false);
        foreach (var item in state.Current)
        {
            item.LastAnsweredAt = response.ReceivedAt;
        }

        var retry = false;
        if (response.Kind == BrazeOutcomeKind.RateLimited)
        {
            retry = _pacer.ClosedFor(key) <= _pacing.Value.ShortRateLimitWait;
        }
        else if (response.Kind == BrazeOutcomeKind.Transient && response.IsAmbiguous)
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

            retry = state.Current.Count > 0;
        }
        else if (response.Kind == BrazeOutcomeKind.Transient)
        {
            retry = true;
        }

        return new RequestAttempt(state, response, merged, retry, Hold: null);
    }

    /// <summary>Turns the final answer of one group into reports and follow-up groups; returns the extra requests it queued.</summary>
    private int Conclude(AttemptState state, RequestAttempt attempt, Queue<Group> groups, int extraSoFar)
    {
        var items = state.Current;
        if (items.Count == 0)
        {
            return 0;
        }

        if (attempt.Response is not { } response)
        {
            var hold = attempt.Hold ?? _pacing.Value.RateLimitFallbackWait;
            items.ForEach(i => i.Finish(attempt.HoldReason == "credential" ? new DeliveryReport.CredentialPaused(hold, null) : new DeliveryReport.RateLimited(hold, null)));
            return 0;
        }

        var errors = attempt.Merged is { } merged
            ? response.PartialErrors.Select(merged.OwnerOf).Where(o => o is not null).Select(o => o!.Value).ToList()
            : [];
        IReadOnlyList<BrazePartialError> ErrorsOf(DeliveryItem item) => [.. errors.Where(e => e.Item == item).Select(e => e.Error)];

        switch (response.Kind)
        {
            case BrazeOutcomeKind.Success:
                foreach (var item in items)
                {
                    var own = ErrorsOf(item);
                    var refusedAll = item.Shape.Kind != MergeKind.Recipients && own.Count > 0
                        && own.Select(e => (e.InputArray, e.Index)).Distinct().Count() >= item.Shape.Objects;
                    item.Finish(new DeliveryReport.Accepted(response, own, refusedAll));
                }

                return 0;

            case BrazeOutcomeKind.RateLimited:
                var wait = _pacer.ClosedFor(PaceKey.For(items[0].Workspace.Name, items[0].Endpoint));
                items.ForEach(i => i.Finish(new DeliveryReport.RateLimited(wait > TimeSpan.Zero ? wait : _pacing.Value.RateLimitFallbackWait, response)));
                return 0;

            case BrazeOutcomeKind.Transient:
                items.ForEach(i => i.Finish(new DeliveryReport.Failed(response, response.IsAmbiguous)));
                return 0;
        }

        if (response.StatusCode is 401 or 403)
        {
            // The key (or its permission) was refused: every message waits for the credential pause, none is its fault.
            var paused = _pacer.CredentialPausedFor(items[0].Workspace.Name, items[0].Endpoint);
            items.ForEach(i => i.Finish(new DeliveryReport.CredentialPaused(paused > TimeSpan.Zero ? paused : _pacing.Value.CredentialPause, response)));
            return 0;
        }

        if (items.Count == 1 || response.StatusCode is not (400 or 413))
        {
            items.ForEach(i => i.Finish(new DeliveryReport.Refused(response, ErrorsOf(i))));
            return 0;
        }

        var first = items[0];
        if (response.StatusCode == 400 && first.Shape.Kind == MergeKind.UsersTrack
            && response.Message?.Contains(MaxInputLengthExceeded, StringComparison.OrdinalIgnoreCase) == true)
        {
            // The cap is wrong for this workspace's contract, not the messages: lower it and send the halves.
            var cap = _caps.Halve(first.Workspace.Name, attempt.Merged!.Objects);
            Log.ObjectCapLowered(_logger, first.Workspace.Name, attempt.Merged.Objects, cap);
            return Split(items, groups, "max_input_length");
        }

        var named = items.Where(i => errors.Any(e => e.Item == i)).ToList();
        if (named.Count > 0 && named.Count < items.Count && !state.Group.ResentAfterNamedErrors)
        {
            named.ForEach(i => i.Finish(new DeliveryReport.Refused(response, ErrorsOf(i))));
            var rest = items.Except(named).ToList();
            groups.Enqueue(new Group(rest, null, ResentAfterNamedErrors: true));
            _metrics.SplitRequest(first.Workspace.Name, first.Endpoint);
            Log.BatchResent(_logger, first.Workspace.Name, first.Endpoint, named.Count, rest.Count);
            return 1;
        }

        if (extraSoFar + 2 <= _coalescing.Value.MaxSplitRequests)
        {
            return Split(items, groups, "refused");
        }

        Log.SplitBudgetSpent(_logger, first.Workspace.Name, first.Endpoint, items.Count, _coalescing.Value.MaxSplitRequests);
        items.ForEach(i => i.Finish(new DeliveryReport.SplitUnresolved(response)));
        return 0;
    }

    private int Split(List<DeliveryItem> items, Queue<Group> groups, string why)
    {
        var half = items.Count / 2;
        groups.Enqueue(new Group(items.Take(half).ToList(), null, ResentAfterNamedErrors: false));
        groups.Enqueue(new Group(items.Skip(half).ToList(), null, ResentAfterNamedErrors: false));
        var first = items[0];
        _metrics.SplitRequest(first.Workspace.Name, first.Endpoint);
        _metrics.SplitRequest(first.Workspace.Name, first.Endpoint);
        Log.BatchSplit(_logger, first.Workspace.Name, first.Endpoint, items.Count, why);
        return 2;
    }


    /// <summary>Items sent together in one request; the first group holds the batch's ticket.</summary>
    private sealed record Group(List<DeliveryItem> Items, PaceTicket? Ticket, bool ResentAfterNamedErrors);

    /// <summary>One group's pass through the pipeline: the items still going, and the ticket not yet used.</summary>
    private sealed class AttemptState(BatchSender sender, Group group, CancellationToken cancellationToken)
    {
        private PaceTicket? _ticket = group.Ticket;

        public BatchSender Sender { get; } = sender;

        public Group Group { get; } = group;

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
    private sealed record RequestAttempt(AttemptState State, BrazeResponse? Response, MergedRequest? Merged, bool RetryInPlace, TimeSpan? Hold)
    {
        public string? HoldReason { get; init; }
    }
}
