using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BrazeFunctions.Core;

/// <summary>Registers what operators and timers use: the dead-letter store and sweep, the queue probe and the health report.</summary>
public static class OperationsServiceCollectionExtensions
{
    /// <summary>
    /// The dead-letter store (list, replay, purge), the message trace, the poison sweep, the queue probe and its gauges, the <c>queues</c> health check
    /// and the report of the health endpoints. The Function App and the CLI share this wiring.
    /// </summary>
    public static IServiceCollection AddRelayOperations(this IServiceCollection services)
    {
        services.AddRelayStorage();
        services.AddRelayTemplates();
        services.TryAddSingleton<RouteWorkspaces>();
        services.AddRelayTrace();
        services.AddRelayIdempotency();
        services.AddRelayRetryOptions();
        services.TryAddSingleton<DeadLetterStore>();
        services.TryAddSingleton<IDeadLetterStore>(sp => sp.GetRequiredService<DeadLetterStore>());
        services.TryAddSingleton<IMessageTrace, MessageTrace>();
        services.TryAddSingleton<DeadLetterSweeper>();
        services.TryAddSingleton<IMessageBodyCleanup, MessageBodyCleanup>();
        services.TryAddSingleton<QueueInspector>();
        services.TryAddSingleton<QueueMetrics>();
        services.TryAddSingleton<QueueMonitor>();
        services.AddRelayHealthCheck<QueuesHealthCheck>("queues", RelayHealthChecks.DetailsTag);
        return services;
    }

    /// <summary>The trace records' options and table store (the dispatcher's recorder is added with dispatch).</summary>
    internal static IServiceCollection AddRelayTrace(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(TraceStore)))
        {
            return services;
        }

        services.AddRelayStorage();
        services.AddOptions<TraceOptions>().BindConfiguration(TraceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<RelayTables>();
        services.TryAddSingleton<TraceMetrics>();
        services.TryAddSingleton<TraceStore>();
        return services;
    }
}
