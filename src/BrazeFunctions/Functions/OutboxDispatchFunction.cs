using System.Globalization;
using BrazeFunctions.Core.Dispatch;
using Microsoft.Azure.Functions.Worker;

namespace BrazeFunctions.Functions;

/// <summary>Delivers each outbox message to Braze. Outcomes (delivered, aborted, deferred, dead-lettered) are decided in Core.</summary>
public sealed class OutboxDispatchFunction(IOutboxDispatcher dispatcher)
{
    [Function("OutboxDispatch")]
    public async Task Run(
        [QueueTrigger("%Outbox:QueueName%", Connection = "AzureWebJobsStorage")] string message,
        FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dequeueCount = context.BindingContext.BindingData.TryGetValue("DequeueCount", out var value)
            && long.TryParse(Convert.ToString(value, CultureInfo.InvariantCulture), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
                ? count
                : 1;
        await dispatcher.DispatchAsync(message, dequeueCount, context.CancellationToken).ConfigureAwait(false);
    }
}
