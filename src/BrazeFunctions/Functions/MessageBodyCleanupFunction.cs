using BrazeFunctions.Core.Dispatch;
using Microsoft.Azure.Functions.Worker;

namespace BrazeFunctions.Functions;

/// <summary>Every hour: removes orphaned webhook bodies (the enqueue failed) and emptied ones no copy can still need (<see cref="IMessageBodyCleanup"/>).</summary>
public sealed class MessageBodyCleanupFunction(IMessageBodyCleanup cleanup)
{
    /// <summary>At minute 41 of every hour: an orphan is removed between one and two hours after its day is up; one listing an hour.</summary>
    public const string Schedule = "0 41 * * * *";

    [Function("MessageBodyCleanup")]
    public Task Run([TimerTrigger(Schedule, UseMonitor = false)] TimerInfo timer, FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return cleanup.RunAsync(context.CancellationToken);
    }
}
