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
    private readonly Dictionary<MergeGroup, PendingBatch> _open = [];
    private readonly HashSet<Task> _running = [];
    private readonly CancellationTokenSource _stopWaiting = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly BatchSender _sender;
    private readonly RateLimitPacer _pacer;
    private readonly BudgetLines _lines;
    private readonly MergeRules _rules;
    private readonly TimeProvider _time;
    private readonly IOptions<CoalescingOptions> _coalescing;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<DeliveryBatcher> _logger;
    private bool _stopping;

    public DeliveryBatcher(BatchSender sender, RateLimitPacer pacer, MergeRules rules, TimeProvider time, IOptions<CoalescingOptions> coalescing, RelayMetrics metrics, ILogger<DeliveryBatcher> logger)
    {
        _sender = sender;
        _pacer = pacer;
        _lines = new BudgetLines(pacer, time, logger);
        _rules = rules;
        _time = time;
        _coalescing = coalescing;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Hands <paramref name="item"/> over for sending; completes with its report.</summary>
    public async Task<DeliveryReport> SubmitAsync(DeliveryItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        lock (_gate)
        {
            if (_stopping)
            {
                return new DeliveryReport.ShutDown();
            }

            if (item.Shape.Kind == MergeKind.None)
            {
                StartSending(new PendingBatch(MergeRules.GroupOf(item), item), "alone");
            }
            else
            {
                Place(item);
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

    /// <summary>Adds a mergeable item to its group's open batch, or opens one; a batch that is full starts sending. Called under the lock.</summary>
    private void Place(DeliveryItem item)
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
            open = new PendingBatch(group, item);
            _open[group] = open;
            StartLinger(open, _coalescing.Value.BatchLinger);
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


    private void StartLinger(PendingBatch batch, TimeSpan linger)
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

    /// <summary>
    /// Called under the lock. The batch takes its place in its bucket's line here (<see cref="BudgetLines"/>), so that
    /// batches reach the pacer in the order they started sending; when the pacer forecasts that its place cannot go
    /// within its short wait, it leaves at once with that forecast instead of waiting first.
    /// </summary>
    private void StartSending(PendingBatch batch, string reason)
    {
        batch.Sending = true;
        var request = BatchSender.PaceRequestOf(batch.First);
        var (turn, leftAtOnce) = reason == "shutdown" ? (null, null) : _lines.Join(request, batch.Items.Count, batch.RequestShare(_rules));
        var task = Task.Run(() => SendAsync(batch, reason, request, leftAtOnce, turn));
        _running.Add(task);
        _ = task.ContinueWith(t => { lock (_gate) { _running.Remove(t); } }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task SendAsync(PendingBatch batch, string reason, PaceRequest request, PaceLease? leftAtOnce, TaskCompletionSource? turn)
    {
        var shuttingDown = reason == "shutdown";
        List<DeliveryItem> items = [];
        try
        {
            var lease = leftAtOnce ?? await AcquireAsync(batch, request, shuttingDown, turn).ConfigureAwait(false);
            items = TakeItems(batch);
            if (lease is null || !lease.IsAcquired)
            {
                DeliveryReport report = lease is null || shuttingDown
                    ? new DeliveryReport.ShutDown()
                    : lease.Reason == PaceReason.Credential ? new DeliveryReport.CredentialPaused(lease.RetryAfter, null) : new DeliveryReport.RateLimited(lease.RetryAfter, null);
                items.ForEach(i => i.Finish(report));
                return;
            }

            if (items.Count == 0)
            {
                lease.Dispose();
                return;
            }

            _metrics.Flushed(request.Key.Workspace, request.Endpoint, reason);
            Log.BatchFlushed(_logger, request.Key.Workspace, request.Endpoint, items.Count, reason);
            await _sender.SendAsync(items, lease, _abort.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            items.ForEach(i => i.Finish(new DeliveryReport.ShutDown()));
        }
        catch (Exception ex)
        {
            // Nothing above is expected to throw; if it does, every caller hears it instead of waiting forever.
            Log.BatchFailed(_logger, request.Key.Workspace, request.Endpoint, ex.GetType().Name);
            foreach (var item in batch.Items)
            {
                item.Finish(new DeliveryReport.StoreUnavailable($"the batch failed with {ex.GetType().Name}"));
            }
        }
    }

    /// <summary>The batch's lease: a shutdown flush takes budget that is free right now and never waits; others wait their turn. Null when told to stop.</summary>
    private async Task<PaceLease?> AcquireAsync(PendingBatch batch, PaceRequest request, bool shuttingDown, TaskCompletionSource? turn)
    {
        double Weight()
        {
            lock (_gate)
            {
                return batch.RequestShare(_rules);
            }
        }

        try
        {
            return shuttingDown
                ? await _pacer.AcquireAsync(request, CancellationToken.None, maxWait: TimeSpan.Zero).ConfigureAwait(false)
                : await _lines.AcquireInTurnAsync(request, turn!, Weight, _stopWaiting.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>Closes the batch to newcomers and takes its items that were not withdrawn, in receipt order.</summary>
    private List<DeliveryItem> TakeItems(PendingBatch batch)
    {
        lock (_gate)
        {
            if (_open.TryGetValue(batch.Group, out var open) && open == batch)
            {
                _open.Remove(batch.Group);
            }

            batch.Closed = true;
            return [.. batch.Items.Where(i => i.TryStartSending()).OrderBy(i => i.Envelope.ReceivedAt).ThenBy(i => i.MessageId, StringComparer.Ordinal)];
        }
    }
}
