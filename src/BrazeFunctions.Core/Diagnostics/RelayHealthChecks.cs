using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BrazeFunctions.Core.Diagnostics;

/// <summary>
/// How the relay's <see cref="IHealthCheck"/>s are registered with <see cref="HealthCheckService"/>: a tag says which
/// endpoint runs a check, and each has the same time limit.
/// </summary>
internal static class RelayHealthChecks
{
    /// <summary>Checks behind the anonymous <c>GET /api/health</c> (status only).</summary>
    public const string StatusTag = "status";

    /// <summary>Checks behind <c>GET /api/health/details</c> (function key), each reported under its name with its data.</summary>
    public const string DetailsTag = "details";

    /// <summary>A check that has not answered by then is reported unhealthy; the availability test must not wait on storage's own retries.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Registers <typeparamref name="TCheck"/> as a singleton and as the health check <paramref name="name"/>, once: the
    /// <c>AddRelay*</c> methods may run more than once, and <see cref="HealthCheckService"/> refuses two checks of one name.
    /// </summary>
    public static IServiceCollection AddRelayHealthCheck<TCheck>(this IServiceCollection services, string name, string tag)
        where TCheck : class, IHealthCheck
    {
        if (services.Any(d => d.ServiceType == typeof(TCheck)))
        {
            return services;
        }

        services.AddSingleton<TCheck>();
        services.AddHealthChecks().AddCheck<TCheck>(name, HealthStatus.Unhealthy, [tag], Timeout);
        services.TryAddSingleton<RelayHealthReport>();
        return services;
    }
}
