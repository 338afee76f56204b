using BrazeFunctions.Core.Storage;
using Microsoft.Azure.Functions.Worker;

namespace BrazeFunctions.Functions;

/// <summary>Every minute: records <c>relay.queue.depth</c> and <c>relay.queue.oldest_age</c> for the outbox and the poison queue.</summary>
public sealed class QueueProbeFunction(QueueMonitor monitor)
{
    /// <summary>One sample a minute matches the resolution of the metric alerts; it costs 4 storage calls.</summary>
    public const string Schedule = "0 * * * * *";

    [Function("QueueProbe")]
    public Task Run([TimerTrigger(Schedule, UseMonitor = false)] TimerInfo timer, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return monitor.ProbeAsync(context.CancellationToken);
    }
}
