using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Pacing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core.Delivery;

/// <summary>
/// Coalesces the requests of messages dispatched at the same time on this instance. Items to the same workspace and
/// endpoint (and, for triggers, the same campaign or Canvas and properties) join one batch; a batch is sent when it is
/// full or when its first item has waited <see cref="CoalescingOptions.BatchLinger"/> for company. When the pacer then makes
/// it wait for rate-limit budget, items arriving meanwhile still join it, up to the caps: batches grow exactly when
/// budget is scarce. Sending is done on the batcher's own token, so one caller's cancellation never aborts the request
/// for the others; a caller cancelled before its item is sent withdraws it. On shutdown, held batches are sent if
/// budget allows and otherwise handed back to their callers to defer.
/// </summary>
internal sealed class DeliveryBatcher : IHostedService, IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<MergeGroup, Batch> _open = [];
    private readonly HashSet<Task> _running = [];
    private readonly Dictionary<PaceKey, TurnLine> _turns = [];
    private readonly CancellationTokenSource _stopWaiting = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly BatchSender _sender;
    private readonly RateLimitPacer _pacer;
    private readonly MergeRules _rules;
    private readonly TimeProvider _time;
    private readonly IOptions<CoalescingOptions> _coalescing;
    private readonly IOptions<PacingOptions> _pacing;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<DeliveryBatcher> _logger;
    private bool _stopping;

    public DeliveryBatcher(BatchSender sender, RateLimitPacer pacer, MergeRules rules, TimeProvider time, IOptions<CoalescingOptions> coalescing, IOptions<PacingOptions> pacing, RelayMetrics metrics, ILogger<DeliveryBatcher> logger)
    {
        _sender = sender;
        _pacer = pacer;
        _rules = rules;
        _time = time;
        _coalescing = coalescing;
        _pacing = pacing;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Hands <paramref name="item"/> over for sending; completes with its report.</summary>
    public async Task<DeliveryReport> SubmitAsync(DeliveryItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var linger = _coalescing.Value.BatchLinger;
        lock (_gate)
        {
            if (_stopping)
            {
                return new DeliveryReport.ShutDown();
            }

            if (item.Shape.Kind == MergeKind.None)
            {
                StartSending(new Batch(MergeRules.GroupOf(item), item), "alone");
            }
            else
            {
                var group = MergeRules.GroupOf(item);
                if (_open.TryGetValue(group, out var open) && !open.TryAdd(item, _rules))
                {
                    // The newcomer does not fit: the open batch is as full as it gets.
                    _open.Remove(group);
                    if (!open.Sending)
                    {
                        StartSending(open, "full");
                    }

                    open = null;
                }

                if (open is null)
                {
                    open = new Batch(group, item);
                    _open[group] = open;
                    StartLinger(open, linger);
                }

                if (open.IsFull(_rules))
                {
                    _open.Remove(group);
                    if (!open.Sending)
                    {
                        StartSending(open, "full");
                    }
                }
            }
        }

        _metrics.Held(item.Workspace.Name, item.Endpoint, +1);
        try
        {
            using (cancellationToken.Register(static state => ((DeliveryItem)state!).TryWithdraw(), item))
            {
                return await item.Report.ConfigureAwait(false);
            }
        }
        finally
        {
            _metrics.Held(item.Workspace.Name, item.Endpoint, -1);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Sends what is held if budget allows now, hands the rest back; in-flight requests finish unless the host forces the stop.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task[] running;
        lock (_gate)
        {
            _stopping = true;
            foreach (var batch in _open.Values.Where(b => !b.Sending).ToList())
            {
                StartSending(batch, "shutdown");
            }

            _open.Clear();
            running = [.. _running];
        }

        await _stopWaiting.CancelAsync().ConfigureAwait(false);
        using var forced = cancellationToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), _abort);
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _stopWaiting.Dispose();
        _abort.Dispose();
    }


    private void StartLinger(Batch batch, TimeSpan linger)
    {
        _ = LingerAsync();

        async Task LingerAsync()
        {
            try
            {
                await Task.Delay(linger, _time, _stopWaiting.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return; // Shutdown flushes it.
            }

            lock (_gate)
            {
                if (!batch.Sending && !_stopping)
                {
                    // Stays open while it waits for budget: newcomers still join until it is full or leaves.
                    StartSending(batch, "linger");
                }
            }
        }
    }

    /// <summary>Called under the lock.</summary>
    private void StartSending(Batch batch, string reason)
    {
        batch.Sending = true;
        var key = PaceKey.For(batch.First.Workspace.Name, batch.First.Endpoint);
        // The turn is taken here, under the lock, so that batches reach the pacer in the order they started sending.
        var turn = reason == "shutdown" ? null : TakeTurn(key);
        var task = Task.Run(() => SendAsync(batch, reason, turn));
        _running.Add(task);
        _ = task.ContinueWith(t => { lock (_gate) { _running.Remove(t); } }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task SendAsync(Batch batch, string reason, TaskCompletionSource? turn)
    {
        var shuttingDown = reason == "shutdown";
        var first = batch.First;
        var key = PaceKey.For(first.Workspace.Name, first.Endpoint);
        List<DeliveryItem> items = [];
        try
        {
            PaceDecision decision;
            try
            {
                // A shutdown flush takes budget that is free right now and never waits; others wait until told to stop.
                decision = shuttingDown
                    ? await _pacer.AcquireAsync(key, first.Endpoint, TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false)
                    : await AcquireInTurnAsync(key, first.Endpoint, turn!).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                decision = new PaceDecision(null, TimeSpan.Zero, "shutdown");
            }

            lock (_gate)
            {
                if (_open.TryGetValue(batch.Group, out var open) && open == batch)
                {
                    _open.Remove(batch.Group);
                }

                batch.Closed = true;
                items = [.. batch.Items.Where(i => i.TryStartSending()).OrderBy(i => i.Envelope.ReceivedAt).ThenBy(i => i.MessageId, StringComparer.Ordinal)];
            }

            if (decision.Ticket is not { } ticket)
            {
                DeliveryReport report = shuttingDown || decision.HoldReason == "shutdown"
                    ? new DeliveryReport.ShutDown()
                    : decision.HoldReason == "credential" ? new DeliveryReport.CredentialPaused(decision.Hold, null) : new DeliveryReport.RateLimited(decision.Hold, null);
                items.ForEach(i => i.Finish(report));
                return;
            }

            if (items.Count == 0)
            {
                _pacer.Abandon(ticket);
                return;
            }

            _metrics.Flushed(key.Workspace, first.Endpoint, reason);
            Log.BatchFlushed(_logger, key.Workspace, first.Endpoint, items.Count, reason);
            await _sender.SendAsync(items, ticket, _abort.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            items.ForEach(i => i.Finish(new DeliveryReport.ShutDown()));
        }
        catch (Exception ex)
        {
            // Nothing above is expected to throw; if it does, every caller hears it instead of waiting forever.
            Log.BatchFailed(_logger, key.Workspace, first.Endpoint, ex.GetType().Name);
            foreach (var item in batch.Items)
            {
                item.Finish(new DeliveryReport.StoreUnavailable($"the batch failed with {ex.GetType().Name}"));
            }
        }
    }

    /// <summary>
    /// Waits for budget in arrival order: batches of one workspace and endpoint family take their turn at the pacer one
    /// after the other, so a slot goes to the batch that has waited longest (and is fullest), while the batches behind it
    /// keep filling. Without the turn every waiting batch wakes at each slot and the newest, nearly empty one may win it
    /// while full ones run out of time and are deferred. The turn and the pacer's wait share one
    /// <see cref="PacingOptions.ShortRateLimitWait"/>: a batch that does not reach the front in that time is deferred.
    /// </summary>
    private async Task<PaceDecision> AcquireInTurnAsync(PaceKey key, string endpoint, TaskCompletionSource turn)
    {
        var maxWait = _pacing.Value.ShortRateLimitWait;
        var started = _time.GetTimestamp();
        try
        {
            await turn.Task.WaitAsync(maxWait, _time, _stopWaiting.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            if (!turn.TrySetCanceled())
            {
                // The turn came just as the wait ended: hand it on.
                PassTurn(key);
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            // The batches ahead hold the budget for longer than this one may wait: defer it, as the pacer would.
            _metrics.PacingWait(key.Workspace, key.Family, "deferred", _time.GetElapsedTime(started));
            return new PaceDecision(null, _pacing.Value.RateLimitFallbackWait, "budget");
        }

        try
        {
            return await _pacer.AcquireAsync(key, endpoint, maxWait, _stopWaiting.Token, waitingSince: started).ConfigureAwait(false);
        }
        finally
        {
            PassTurn(key);
        }
    }

    /// <summary>Joins the line of batches waiting for <paramref name="key"/>'s budget; the task completes at this batch's turn. Called under the lock.</summary>
    private TaskCompletionSource TakeTurn(PaceKey key)
    {
        if (!_turns.TryGetValue(key, out var line))
        {
            line = new TurnLine();
            _turns[key] = line;
        }

        var turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (line.Busy)
        {
            line.Waiting.Enqueue(turn);
        }
        else
        {
            line.Busy = true;
            turn.SetResult();
        }

        return turn;
    }

    /// <summary>Gives the turn to the next batch still waiting for it (those that gave up are skipped).</summary>
    private void PassTurn(PaceKey key)
    {
        lock (_gate)
        {
            var line = _turns[key];
            while (line.Waiting.TryDequeue(out var next))
            {
                if (next.TrySetResult())
                {
                    return;
                }
            }

            line.Busy = false;
        }
    }

    /// <summary>Batches waiting for one budget, in the order they started sending. Guarded by the batcher's lock.</summary>
    private sealed class TurnLine
    {
        /// <summary>A batch is at the pacer.</summary>
        public bool Busy;

        public Queue<TaskCompletionSource> Waiting { get; } = new();
    }

    /// <summary>Items waiting to be sent together. Guarded by the batcher's lock.</summary>
    private sealed class Batch(MergeGroup group, DeliveryItem first)
    {
        private readonly MergeLoad _load = Loaded(first);

        public MergeGroup Group { get; } = group;

        public DeliveryItem First { get; } = first;

        public List<DeliveryItem> Items { get; } = [first];

        /// <summary>Its send has started (it may still be waiting for budget, and still accept items).</summary>
        public bool Sending { get; set; }

        /// <summary>Its items are taken: nothing joins any more.</summary>
        public bool Closed { get; set; }

        public bool TryAdd(DeliveryItem item, MergeRules rules)
        {
            if (Closed || !rules.Fits(_load, item))
            {
                return false;
            }

            Items.Add(item);
            _load.Add(item);
            return true;
        }

        public bool IsFull(MergeRules rules) => rules.IsFull(_load, First);

        private static MergeLoad Loaded(DeliveryItem item)
        {
            var load = new MergeLoad();
            load.Add(item);
            return load;
        }
    }
}
