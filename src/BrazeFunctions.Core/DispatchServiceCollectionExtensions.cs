using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Dispatch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Core;

/// <summary>Registers the dispatcher, the Braze client and the dead-letter store.</summary>
public static class DispatchServiceCollectionExtensions
{
    /// <summary>
    /// The Braze typed client (options validated at start-up: endpoint host, API key), the rate-limit gate, the dispatcher and
    /// the dead-letter store, with the storage queues and the template renderer they use.
    /// </summary>
    public static IServiceCollection AddRelayDispatch(this IServiceCollection services)
    {
        services.AddOptions<BrazeOptions>().BindConfiguration(BrazeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BrazeOptions>, BrazeOptionsValidator>());
        services.AddOptions<DispatchOptions>().BindConfiguration(DispatchOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DispatchOptions>, DispatchOptionsValidator>());

        services.AddRelayStorage();
        services.AddRelayTemplates();
        services.TryAddSingleton<RateLimitGate>();
        // Transient like the typed client it uses, so IHttpClientFactory can rotate handlers.
        services.TryAddTransient<OutboxDispatcher>();
        // The dead-letter store, the poison sweep, the queue probe and the health checks.
        services.AddRelayOperations();

        services.AddHttpClient<BrazeClient>()
            // Never follow a redirect: it could carry the bearer key to another host.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            // The factory's own request logging puts raw header values (the bearer key) into the structured state even when
            // the message text is redacted, and exporters ship that state; BrazeClient logs what matters itself.
            .RemoveAllLoggers();
        return services;
    }
}
