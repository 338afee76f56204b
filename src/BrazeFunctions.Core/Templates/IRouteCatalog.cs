namespace BrazeFunctions.Core.Templates;

/// <summary>The routes the ingress accepts: one per template in the catalog.</summary>
internal interface IRouteCatalog
{
    /// <summary>Known routes, sorted, for the 404 message.</summary>
    IReadOnlyList<string> Routes { get; }

    /// <summary>Finds a route, ignoring case; <paramref name="canonical"/> is the catalog's spelling.</summary>
    bool TryResolve(string route, out string canonical);
}
