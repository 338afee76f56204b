using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace BrazeFunctions.Core;

/// <summary>Registers the template catalog and the renderer.</summary>
public static class TemplateServiceCollectionExtensions
{
    /// <summary>
    /// Loads every template at start-up (a broken one fails start-up with file, line and column), makes the catalog the
    /// ingress's route list and registers <see cref="IWebhookRenderer"/>. Registering twice is harmless.
    /// </summary>
    public static IServiceCollection AddRelayTemplates(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(TemplateCatalog)))
        {
            return services;
        }

        services.AddOptions<TemplateCatalogOptions>().BindConfiguration(TemplateCatalogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BrazeRequestLimits>().BindConfiguration(BrazeRequestLimits.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TemplateCatalog>();
        services.TryAddSingleton<WebhookTemplateRenderer>();
        services.TryAddSingleton<IRouteCatalog>(sp => sp.GetRequiredService<TemplateCatalog>());
        services.TryAddSingleton<IWebhookRenderer, CatalogWebhookRenderer>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TemplateCatalogStartup>());
        return services;
    }
}
