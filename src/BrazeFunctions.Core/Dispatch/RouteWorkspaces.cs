using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.DependencyInjection;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>
/// The Braze workspace each route's template sends to now. The template catalog is loaded on first use, so listing dead
/// letters works without the templates and only a replay needs them.
/// </summary>
public sealed class RouteWorkspaces(IServiceProvider services)
{
    private readonly Lazy<TemplateCatalog> _catalog = new(services.GetRequiredService<TemplateCatalog>);

    /// <summary>The route's current workspace, or null when the route has no template.</summary>
    /// <exception cref="TemplateCatalogException">The templates cannot be loaded.</exception>
    public string? Of(string route) => _catalog.Value.TryGet(route, out var template) ? template.Workspace : null;
}
