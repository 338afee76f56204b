namespace BrazeFunctions.Core.Delivery;

/// <summary>
/// Batches waiting for one bucket's budget, in the order they started sending: the one at the pacer (<see cref="Busy"/>)
/// and those behind it. The pacer's forecast for a batch is read from its place here. Guarded by its owner's lock.
/// </summary>
internal sealed class TurnLine
{
    private readonly Queue<TaskCompletionSource> _waiting = new();

    /// <summary>A batch is at the pacer.</summary>
    public bool Busy { get; private set; }

    /// <summary>How many batches a newcomer would have ahead of it: the one at the pacer and those still waiting.</summary>
    public int Ahead => (Busy ? 1 : 0) + _waiting.Count(t => !t.Task.IsCompleted);

    /// <summary>Joins the line; the task completes at this batch's turn (at once when nobody is at the pacer).</summary>
    public TaskCompletionSource Join()
    {
        var turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Busy)
        {
            _waiting.Enqueue(turn);
        }
        else
        {
            Busy = true;
            turn.SetResult();
        }

        return turn;
    }

    /// <summary>How many batches are still ahead of <paramref name="turn"/>: the one at the pacer and those that joined before it and still wait.</summary>
    public int AheadOf(TaskCompletionSource turn)
    {
        var ahead = Busy ? 1 : 0;
        foreach (var waiting in _waiting)
        {
            if (waiting == turn)
            {
                break;
            }

            ahead += waiting.Task.IsCompleted ? 0 : 1;
        }

        return ahead;
    }

    /// <summary>Gives the turn to the next batch still waiting for it (those that gave up are skipped).</summary>
    public void Pass()
    {
        while (_waiting.TryDequeue(out var next))
        {
            if (next.TrySetResult())
            {
                return;
            }
        }

        Busy = false;
    }
}
