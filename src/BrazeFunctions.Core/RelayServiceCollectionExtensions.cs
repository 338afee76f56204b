using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace BrazeFunctions.Core;

/// <summary>Registers the relay's core services; the Function App, the CLI and the tests share this wiring.</summary>
public static class RelayServiceCollectionExtensions
{
    /// <summary>
    /// The ingress and the outbox health check behind the anonymous health endpoint, with the storage queues they write to and the template catalog that defines the
    /// known routes; options are validated at start-up.
    /// </summary>
    public static IServiceCollection AddRelayIngress(this IServiceCollection services)
    {
        services.AddRelayStorage();
        services.AddRelayTemplates();
        services.AddOptions<IngressOptions>().BindConfiguration(IngressOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<IngressSecretMetrics>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, KeyVaultReferenceCheck>());
        services.TryAddSingleton<WebhookRequestValidator>();
        services.AddRelayIdempotency();
        services.TryAddSingleton<WebhookDeduplicator>();
        services.TryAddSingleton<WebhookIngress>();
        services.TryAddSingleton<IWebhookIngress>(sp => sp.GetRequiredService<WebhookIngress>());
        services.AddRelayHealthCheck<OutboxHealthCheck>("outbox", RelayHealthChecks.StatusTag);
        return services;
    }

    /// <summary>The idempotency store (daily tables) and its options, shared by the ingress and dispatch.</summary>
    internal static IServiceCollection AddRelayIdempotency(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IdempotencyStore)))
        {
            return services;
        }

        services.AddRelayStorage();
        services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<RelayTables>();
        services.TryAddSingleton<IdempotencyStore>();
        services.TryAddSingleton<IIdempotencyTableCleanup, IdempotencyTableCleanup>();
        return services;
    }

    /// <summary>The outbox and poison queues, the clock and the relay's metrics, registered once for every part that needs them.</summary>
    internal static IServiceCollection AddRelayStorage(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(RelayQueues)))
        {
            return services;
        }

        services.AddOptions<OutboxOptions>().BindConfiguration(OutboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RelayMetrics>();
        services.TryAddSingleton<QueueServiceClientFactory>();
        services.TryAddSingleton<RelayQueues>();
        services.TryAddSingleton<RelayBlobs>();
        services.TryAddSingleton<MessageBodyStore>();
        return services;
    }
}
