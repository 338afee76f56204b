using BrazeFunctions.Core.Dispatch;
using Microsoft.Azure.Functions.Worker;

namespace BrazeFunctions.Functions;

/// <summary>Every 5 minutes: gives every bare or unreadable poison message a reason and no expiry (<see cref="DeadLetterSweeper"/>).</summary>
public sealed class PoisonSweepFunction(DeadLetterSweeper sweeper)
{
    /// <summary>Five minutes is far inside the host copy's 7-day time-to-live and keeps a host_poison alert timely.</summary>
    public const string Schedule = "0 */5 * * * *";

    [Function("PoisonSweep")]
    public Task Run([TimerTrigger(Schedule, UseMonitor = false)] TimerInfo timer, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return sweeper.SweepAsync(context.CancellationToken);
    }
}
