using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// What the Functions host's queue listener does for one instance, with host.json's own numbers: receive up to
/// <c>batchSize</c> messages, run a function per message, fetch again once the runs in flight drop to
/// <c>newBatchThreshold</c>, back off up to <c>maxPollingInterval</c> while the queue is empty, delete a message when its
/// run returns. A message in flight stays invisible for as long as its run lasts (the host holds it under a lease that it
/// renews), so no second copy appears beside a slow run. A run that throws, or whose instance "dies" before completing
/// it, leaves its message to come back after the visibility timeout, as under the host. The lease here is a minute,
/// renewed every 40 s while the run lasts, so that a receive whose answer was lost (the client retries, the first
/// attempt's messages stay hidden) costs a minute, not a test's whole time bound.
/// </summary>
internal sealed class HostQueuePump
{
    private readonly QueueClient _queue;
    private readonly OutboxDispatcher _dispatcher;
    private readonly int _batchSize;
    private readonly int _newBatchThreshold;
    private readonly TimeSpan _maxPollingInterval;
    private readonly TimeSpan _visibilityTimeout;
    private readonly Func<QueueMessage, bool>? _dieBeforeDelete;
    /// <summary>The lease on a message in flight, renewed every <see cref="RenewEvery"/> while its run lasts.</summary>
    private static readonly TimeSpan InFlightLease = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(40);

    private readonly SemaphoreSlim _slotFreed = new(0);
    private int _inFlight;
    private int _failedRuns;

    public HostQueuePump(QueueClient queue, OutboxDispatcher dispatcher, TimeSpan visibilityTimeout, Func<QueueMessage, bool>? dieBeforeDelete = null)
    {
        _queue = queue;
        _dispatcher = dispatcher;
        _visibilityTimeout = visibilityTimeout;
        _dieBeforeDelete = dieBeforeDelete;
        var queues = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "host.json")))!["extensions"]!["queues"]!;
        _batchSize = queues["batchSize"]!.GetValue<int>();
        _newBatchThreshold = queues["newBatchThreshold"]!.GetValue<int>();
        _maxPollingInterval = TimeSpan.Parse(queues["maxPollingInterval"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public int BatchSize => _batchSize;

    public int NewBatchThreshold => _newBatchThreshold;

    /// <summary>Every run's result, by envelope id (a redelivered message has several).</summary>
    public ConcurrentQueue<(string Id, DispatchResult Result, long DequeueCount)> Results { get; } = new();

    public int PeakInFlight { get; private set; }

    /// <summary>What the runs that threw threw.</summary>
    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>Runs that threw (storage failures): their messages come back after the visibility timeout.</summary>
    public int FailedRuns => Volatile.Read(ref _failedRuns);

    public async Task RunAsync(CancellationToken stop)
    {
        var running = new ConcurrentDictionary<Task, bool>();
        var idle = TimeSpan.FromMilliseconds(100);
        while (!stop.IsCancellationRequested)
        {
            if (Volatile.Read(ref _inFlight) > _newBatchThreshold)
            {
                await _slotFreed.WaitAsync(TimeSpan.FromMilliseconds(200), CancellationToken.None);
                continue;
            }

            QueueMessage[] batch;
            try
            {
                batch = (await _queue.ReceiveMessagesAsync(_batchSize, InFlightLease, stop)).Value;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is Azure.RequestFailedException or OperationCanceledException or AggregateException)
            {
                // A receive that failed or timed out: the host's listener logs it and polls again.
                Failures.Enqueue("receive: " + ex.GetType().Name);
                continue;
            }

            if (batch.Length == 0)
            {
                try
                {
                    await Task.Delay(idle, stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, _maxPollingInterval.Ticks));
                continue;
            }

            idle = TimeSpan.FromMilliseconds(100);
            foreach (var message in batch)
            {
                PeakInFlight = Math.Max(PeakInFlight, Interlocked.Increment(ref _inFlight));
                var run = Task.Run(() => RunOneAsync(message));
                running[run] = true;
                _ = run.ContinueWith(t => running.TryRemove(t, out _), TaskScheduler.Default);
            }
        }

        await Task.WhenAll(running.Keys);
    }

    private async Task RunOneAsync(QueueMessage message)
    {
        var receipt = new StrongBox<string>(message.PopReceipt);
        using var runEnded = new CancellationTokenSource();
        var renewal = RenewWhileRunningAsync(message.MessageId, receipt, runEnded.Token);
        try
        {
            var result = await _dispatcher.DispatchAsync(message.Body.ToString(), message.DequeueCount, default);
            Results.Enqueue((EnvelopeId(message), result, message.DequeueCount));
            await EndRenewalAsync(runEnded, renewal);
            if (_dieBeforeDelete?.Invoke(message) == true)
            {
                // The instance died after the run: the host never completes the message; it comes back.
                await ComeBackLaterAsync(message.MessageId, receipt.Value!);
                return;
            }

            await _queue.DeleteMessageAsync(message.MessageId, receipt.Value);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // As under the host: a run that throws is retried after the visibility timeout.
            await EndRenewalAsync(runEnded, renewal);
            Interlocked.Increment(ref _failedRuns);
            Failures.Enqueue(ex.GetType().Name + " at " + string.Join(" < ", (ex.StackTrace ?? string.Empty).Split('\n').Where(l => l.Contains("BrazeFunctions", StringComparison.Ordinal)).Take(3).Select(l => l.Trim())));
            await ComeBackLaterAsync(message.MessageId, receipt.Value!);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _slotFreed.Release();
        }
    }

    /// <summary>Renews the lease of a message in flight every <see cref="RenewEvery"/> until its run ends, keeping the latest pop receipt.</summary>
    private async Task RenewWhileRunningAsync(string messageId, StrongBox<string> receipt, CancellationToken runEnded)
    {
        try
        {
            while (true)
            {
                await Task.Delay(RenewEvery, runEnded);
                // Not cancelled when the run ends: a renewal under way completes, so the receipt the run deletes with is the latest.
                var renewed = await _queue.UpdateMessageAsync(messageId, receipt.Value, visibilityTimeout: InFlightLease);
                receipt.Value = renewed.Value.PopReceipt;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or Azure.RequestFailedException or AggregateException)
        {
            // The run ended, or storage refused the renewal (the message may then come back beside the run, as under the host).
        }
    }

    private static async Task EndRenewalAsync(CancellationTokenSource runEnded, Task renewal)
    {
        if (!runEnded.IsCancellationRequested)
        {
            await runEnded.CancelAsync();
            await renewal;
        }
    }

    /// <summary>Ends the lease early: the message becomes visible again after the visibility timeout.</summary>
    private async Task ComeBackLaterAsync(string messageId, string popReceipt)
    {
        try
        {
            await _queue.UpdateMessageAsync(messageId, popReceipt, visibilityTimeout: _visibilityTimeout);
        }
        catch (Azure.RequestFailedException)
        {
            // Storage itself failing (the hiccup tests): the message then comes back when its lease runs out instead.
        }
    }

    private static string EnvelopeId(QueueMessage message)
    {
        try
        {
            return EnvelopeCodec.Deserialize(message.Body).Id;
        }
        catch (EnvelopeFormatException)
        {
            return message.MessageId;
        }
    }
}
