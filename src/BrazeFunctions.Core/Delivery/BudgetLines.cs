using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Pacing;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Core.Delivery;

/// <summary>
/// The batcher's lines: batches of one bucket take their turn at the pacer one after the other, so a slot goes to the
/// batch that has waited longest (and is fullest), while the batches behind it keep filling. Without the turn every
/// waiting batch wakes at each slot and the newest, nearly empty one may win it while full ones run out of time. Where a
/// batch stands in its line is what the pacer forecasts from: a batch whose place cannot go within the pacer's short
/// wait leaves at once with the forecast, and one that does not reach the front in that time leaves with the forecast
/// for the place it still has. No wait is decided here. Joining happens under the batcher's lock, which keeps the order.
/// </summary>
internal sealed class BudgetLines(RateLimitPacer pacer, TimeProvider time, ILogger logger)
{
    private readonly object _gate = new();
    private readonly Dictionary<PaceKey, TurnLine> _lines = [];

    /// <summary>
    /// Joins <paramref name="request"/>'s line: the turn to wait for, or the refused lease it leaves with at once.
    /// <paramref name="weight"/> is the batch's share of a full request, which the pacer books if it leaves.
    /// </summary>
    public (TaskCompletionSource? Turn, PaceLease? LeftAtOnce) Join(PaceRequest request, int messages, double weight)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            var line = LineOf(request.Key);
            var ahead = line.Ahead;
            if (pacer.JoinLine(request, ahead, weight) is { } leaves)
            {
                Log.LeftTheLine(logger, request.Key.Workspace, request.Endpoint, messages, ahead, leaves.RetryAfter.TotalMilliseconds);
                return (null, leaves);
            }

            return (line.Join(), null);
        }
    }

    /// <summary>
    /// Waits for the turn (at most the pacer's short wait, counted on into the pacer's own wait), then asks the pacer;
    /// <paramref name="weight"/> gives the batch's share of a full request when it leaves instead.
    /// </summary>
    public async Task<PaceLease> AcquireInTurnAsync(PaceRequest request, TaskCompletionSource turn, Func<double> weight, CancellationToken stopWaiting)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(turn);
        var started = time.GetTimestamp();
        try
        {
            await turn.Task.WaitAsync(pacer.ShortWait, time, stopWaiting).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            var ahead = GiveUp(request.Key, turn);
            if (ex is OperationCanceledException)
            {
                throw;
            }

            return pacer.LeaveLine(request, ahead, time.GetElapsedTime(started), weight());
        }

        try
        {
            return await pacer.AcquireAsync(request, stopWaiting, waitingSince: started).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                LineOf(request.Key).Pass();
            }
        }
    }

    /// <summary>Leaves the line before its turn; returns how many were still ahead.</summary>
    private int GiveUp(PaceKey key, TaskCompletionSource turn)
    {
        lock (_gate)
        {
            var line = LineOf(key);
            var ahead = line.AheadOf(turn);
            if (!turn.TrySetCanceled())
            {
                // The turn came just as the wait ended: hand it on.
                line.Pass();
            }

            return ahead;
        }
    }

    private TurnLine LineOf(PaceKey key)
    {
        if (!_lines.TryGetValue(key, out var line))
        {
            line = new TurnLine();
            _lines[key] = line;
        }

        return line;
    }
}
