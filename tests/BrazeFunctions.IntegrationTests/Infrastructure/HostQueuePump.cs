using System.Collections.Concurrent;
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
/// run returns. A message in flight stays invisible for as long as its run lasts (the host holds it under a 10-minute
/// lease that it renews), so no second copy appears beside a slow run. A run that throws, or whose instance "dies" before
/// completing it, leaves its message to come back after the visibility timeout, as under the host.
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
    /// <summary>The host's lease on a message in flight: longer than any run here, so it never runs out mid-run.</summary>
    private static readonly TimeSpan InFlightLease = TimeSpan.FromMinutes(10);

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
            catch (OperationCanceledException)
            {
                break;
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
        try
        {
            var result = await _dispatcher.DispatchAsync(message.Body.ToString(), message.DequeueCount, default);
            Results.Enqueue((EnvelopeId(message), result, message.DequeueCount));
            if (_dieBeforeDelete?.Invoke(message) == true)
            {
                // The instance died after the run: the host never completes the message; it comes back.
                await ComeBackLaterAsync(message);
                return;
            }

            await _queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // As under the host: a run that throws is retried after the visibility timeout.
            Interlocked.Increment(ref _failedRuns);
            Failures.Enqueue(ex.GetType().Name + " at " + string.Join(" < ", (ex.StackTrace ?? string.Empty).Split('\n').Where(l => l.Contains("BrazeFunctions", StringComparison.Ordinal)).Take(3).Select(l => l.Trim())));
            await ComeBackLaterAsync(message);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _slotFreed.Release();
        }
    }

    /// <summary>Ends the lease early: the message becomes visible again after the visibility timeout.</summary>
    private async Task ComeBackLaterAsync(QueueMessage message)
    {
        try
        {
            await _queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: _visibilityTimeout);
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
