using BrazeFunctions.Core.Idempotency;
using Microsoft.Azure.Functions.Worker;

namespace BrazeFunctions.Functions;

/// <summary>Once a day: drops the idempotency tables older than the window (<see cref="IdempotencyTableCleanup"/>).</summary>
public sealed class IdempotencyCleanupFunction(IIdempotencyTableCleanup cleanup)
{
    /// <summary>03:17 UTC daily: away from midnight, when the next day's table starts filling.</summary>
    public const string Schedule = "0 17 3 * * *";

    [Function("IdempotencyCleanup")]
    public Task Run([TimerTrigger(Schedule, UseMonitor = false)] TimerInfo timer, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return cleanup.RunAsync(context.CancellationToken);
    }
}
