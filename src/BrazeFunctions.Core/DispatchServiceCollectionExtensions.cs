using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Pacing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core;

/// <summary>Registers the delivery engine: dispatcher, coalescer, pacer, idempotency store, Braze client, dead letters.</summary>
public static class DispatchServiceCollectionExtensions
{
    /// <summary>The retry options (the <c>Dispatch</c> section), bound once for the dispatcher and the dead-letter replay alike.</summary>
    internal static IServiceCollection AddRelayRetryOptions(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IValidateOptions<DeliveryRetryOptions>)))
        {
            return services;
        }

        services.AddOptions<DeliveryRetryOptions>().BindConfiguration(DeliveryRetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DeliveryRetryOptions>, DeliveryRetryOptionsValidator>());
        return services;
    }

    /// <summary>
    /// The Braze workspaces and client (options validated at start-up: endpoints, keys, every template's workspace), the
    /// pacer and its shared state, the idempotency store, the batcher (a hosted service, so that shutdown sends or hands
    /// back what it holds), the dispatcher and the dead-letter store, with the storage and templates they use.
    /// </summary>
    public static IServiceCollection AddRelayDispatch(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(OutboxDispatcher)))
        {
            return services;
        }

        services.AddOptions<BrazeOptions>().BindConfiguration(BrazeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrazeOptions>, BrazeOptionsValidator>());
        services.AddOptions<PacingOptions>().BindConfiguration(PacingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CoalescingOptions>().BindConfiguration(CoalescingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CoalescingOptions>, CoalescingOptionsValidator>());
        services.AddRelayRetryOptions();

        services.AddRelayStorage();
        services.AddRelayTemplates();
        services.AddRelayIdempotency();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IdempotencyOptions>, IdempotencyOptionsValidator>());
        services.TryAddSingleton<IRandomSource, SharedRandomSource>();
        services.TryAddSingleton<BrazeWorkspaces>();
        services.TryAddSingleton<BrazeClient>();
        services.AddRelayHealthCheck<SharedPacingStore>("shared_pacing", RelayHealthChecks.DetailsTag);
        services.TryAddSingleton<CredentialGate>();
        services.TryAddSingleton<PaceJitter>();
        services.TryAddSingleton<RateLimitPacer>();
        services.TryAddSingleton<DeliveryClaims>();
        services.TryAddSingleton<UsersTrackCaps>();
        services.TryAddSingleton<MergeRules>();
        services.TryAddSingleton<BatchConclusion>();
        services.TryAddSingleton<BatchSender>();
        // Before the batcher: hosted services stop in reverse order, so the recorder still writes the batcher's last endings.
        services.AddRelayTrace();
        services.TryAddSingleton<TraceRecorder>();
        services.AddHostedService<BuiltWhenStarted<TraceRecorder>>();
        services.TryAddSingleton<DeliveryBatcher>();
        services.AddHostedService<BuiltWhenStarted<DeliveryBatcher>>();
        services.TryAddSingleton<DeadLetterWriter>();
        services.TryAddSingleton<DeliveryEndings>();
        services.TryAddSingleton<OutboxDispatcher>();
        services.TryAddSingleton<IOutboxDispatcher>(sp => sp.GetRequiredService<OutboxDispatcher>());
        // The dead-letter store, the poison sweep, the queue probe and the health checks.
        services.AddRelayOperations();
        services.TryAddSingleton<TemplateWorkspaceCheck>();
        services.AddHostedService<BuiltWhenStarted<TemplateWorkspaceCheck>>();

        services.AddHttpClient(BrazeClient.HttpClientName, (sp, client) => client.Timeout = sp.GetRequiredService<IOptions<BrazeOptions>>().Value.RequestTimeout)
            // Never follow a redirect: it could carry the bearer key to another host. An answer the client stops reading (too
            // large, or past the call's timeout) closes its connection instead of being drained into the pool.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxResponseDrainSize = 0 })
            // The factory's own request logging puts raw header values (the bearer key) into the structured state even when
            // the message text is redacted, and exporters ship that state; BrazeClient logs what matters itself.
            .RemoveAllLoggers();
        return services;
    }
}
