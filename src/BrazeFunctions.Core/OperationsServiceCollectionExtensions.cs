using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core;

/// <summary>Registers what operators and timers use: the dead-letter store and sweep, the queue probe and the health report.</summary>
public static class OperationsServiceCollectionExtensions
{
    /// <summary>
    /// The dead-letter store (list, replay), the poison sweep, the queue probe and its gauges, the <c>queues</c> health check
    /// and the report of every <see cref="IRelayHealthCheck"/>. The Function App and the CLI share this wiring.
    /// </summary>
    public static IServiceCollection AddRelayOperations(this IServiceCollection services)
    {
        services.AddRelayStorage();
        services.AddRelayTemplates();
        services.TryAddSingleton<RouteWorkspaces>();
        services.AddRelayIdempotency();
        services.AddRelayRetryOptions();
        // The store is public (the CLI uses it) while what its replay rules read is internal: built here, not by reflection.
        services.TryAddSingleton(sp => new DeadLetterStore(
            sp.GetRequiredService<RelayQueues>(), sp.GetRequiredService<IOptions<OutboxOptions>>(), sp.GetRequiredService<RouteWorkspaces>(),
            sp.GetRequiredService<IdempotencyStore>(), sp.GetRequiredService<IOptions<DeliveryRetryOptions>>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<DeadLetterStore>>()));
        services.TryAddSingleton<DeadLetterSweeper>();
        services.TryAddSingleton<IMessageBodyCleanup, MessageBodyCleanup>();
        services.TryAddSingleton<QueueInspector>();
        services.TryAddSingleton<QueueMetrics>();
        services.TryAddSingleton<QueueMonitor>();
        services.TryAddSingleton<RelayHealthReport>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRelayHealthCheck, QueuesHealthCheck>());
        return services;
    }
}
