using Azure.Monitor.OpenTelemetry.Exporter;
using BrazeFunctions.Core.Diagnostics;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Trace;

namespace BrazeFunctions.Telemetry;

internal static class RelayTelemetry
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>
    /// OpenTelemetry with the Azure Monitor exporter: the relay's meter, its trace source, the dependency spans of the HTTP
    /// client (Braze, tagged with endpoint and workspace) and of the Azure SDK (queues, tables), and the logs (with scopes,
    /// which carry message id, route, attempt and correlation id). Off unless <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set;
    /// with <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> it authenticates with the managed identity instead of the key.
    /// The function key is redacted from logs, and every secret from activities, in either case.
    /// </summary>
    public static IHostApplicationBuilder AddRelayTelemetry(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        DependencyTelemetry.EnableAzureSdkActivities();
        builder.Services.AddTelemetryRedaction();
        var connectionString = builder.Configuration[ConnectionStringSetting];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return builder;
        }

        var credential = TelemetryCredential.FromAuthenticationString(builder.Configuration[AuthenticationStringSetting]);
        builder.Services.Configure<OpenTelemetryLoggerOptions>(options =>
        {
            options.IncludeScopes = true;
            options.IncludeFormattedMessage = true;
        });
        builder.Services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithMetrics(metrics => metrics.AddMeter(RelayMetrics.MeterName))
            .WithTracing(tracing => tracing.AddSource(RelayActivity.SourceName).AddRelayDependencies())
            .UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = connectionString;
                if (credential is not null)
                {
                    options.Credential = credential;
                }
            });
        return builder;
    }

    /// <summary>
    /// Keeps the function key (the <c>code</c> query parameter) out of every log line, and every secret out of every exported
    /// activity, whether or not telemetry is exported: the logger factory is wrapped (request logs carry the full URL), and
    /// the tracer provider, when one is built, runs <see cref="SecretRedactingProcessor"/> before its exporters.
    /// </summary>
    internal static IServiceCollection AddTelemetryRedaction(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(SecretRedactingProcessor)))
        {
            return services;
        }

        services.AddLogging();
        var factory = services.Last(d => d.ServiceType == typeof(ILoggerFactory) && !d.IsKeyedService);
        services.RemoveAll<ILoggerFactory>();
        services.AddSingleton<ILoggerFactory>(provider => new FunctionKeyRedactingLoggerFactory(CreateInner(provider, factory)));

        services.AddSingleton(provider => new SecretRedactingProcessor(SecretRedaction.FromConfiguration(provider.GetService<IConfiguration>())));
        // Registered before the exporters (UseAzureMonitorExporter comes later), so this processor runs first on each activity.
        services.ConfigureOpenTelemetryTracerProvider((provider, tracing) => tracing.AddProcessor(provider.GetRequiredService<SecretRedactingProcessor>()));
        return services;
    }

    private static ILoggerFactory CreateInner(IServiceProvider provider, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance as ILoggerFactory
        ?? descriptor.ImplementationFactory?.Invoke(provider) as ILoggerFactory
        ?? (descriptor.ImplementationType == typeof(LoggerFactory)
            ? new LoggerFactory(
                provider.GetServices<ILoggerProvider>(),
                provider.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
                provider.GetService<IOptions<LoggerFactoryOptions>>(),
                provider.GetService<IExternalScopeProvider>())
            : (ILoggerFactory)ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!));
}
