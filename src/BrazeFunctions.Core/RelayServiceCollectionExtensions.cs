using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BrazeFunctions.Core;

/// <summary>Registers the relay's core services; the Function App, the CLI and the tests share this wiring.</summary>
public static class RelayServiceCollectionExtensions
{
    /// <summary>Storage queues, the ingress and the health probe, with options validated at start-up.</summary>
    public static IServiceCollection AddRelayIngress(this IServiceCollection services)
    {
        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IngressOptions>().BindConfiguration(IngressOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RelayMetrics>();
        services.TryAddSingleton<QueueServiceClientFactory>();
        services.TryAddSingleton<RelayQueues>();
        // The template catalog replaces this when it is registered first.
        services.TryAddSingleton<IRouteCatalog, ConfiguredRouteCatalog>();
        services.TryAddSingleton<WebhookRequestValidator>();
        services.TryAddSingleton<WebhookIngress>();
        services.TryAddSingleton<QueueHealthProbe>();
        return services;
    }
}
