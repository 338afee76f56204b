namespace BrazeFunctions.Core.Ingress;

/// <summary>The routes the ingress accepts.</summary>
public interface IRouteCatalog
{
    /// <summary>Known routes, sorted, for the 404 message.</summary>
    IReadOnlyList<string> Routes { get; }

    /// <summary>Finds a route, ignoring case; <paramref name="canonical"/> is the catalog's spelling.</summary>
    bool TryResolve(string route, out string canonical);
}

/// <summary>Routes from <see cref="IngressOptions.Routes"/>, used when no template catalog is registered.</summary>
internal sealed class ConfiguredRouteCatalog : IRouteCatalog
{
    private readonly Dictionary<string, string> _routes;

    public ConfiguredRouteCatalog(Microsoft.Extensions.Options.IOptions<IngressOptions> options)
    {
        _routes = options.Value.Routes
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToDictionary(r => r, r => r, StringComparer.OrdinalIgnoreCase);
        Routes = [.. _routes.Values.Order(StringComparer.Ordinal)];
    }

    public IReadOnlyList<string> Routes { get; }

    public bool TryResolve(string route, out string canonical) => _routes.TryGetValue(route, out canonical!);
}
