using BrazeFunctions.Core.Ingress;
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
    /// ingress's route list, whatever the order of this call and <c>AddRelayIngress</c>, and registers <see cref="IWebhookRenderer"/>.
    /// </summary>
    public static IServiceCollection AddRelayTemplates(this IServiceCollection services)
    {
        services.AddOptions<TemplateCatalogOptions>().BindConfiguration(TemplateCatalogOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TemplateCatalog>();
        services.TryAddSingleton<WebhookTemplateRenderer>();
        services.Replace(ServiceDescriptor.Singleton<IRouteCatalog>(sp => sp.GetRequiredService<TemplateCatalog>()));
        services.Replace(ServiceDescriptor.Singleton<IWebhookRenderer, CatalogWebhookRenderer>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TemplateCatalogStartup>());
        return services;
    }
}
