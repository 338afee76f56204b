using Azure.Monitor.OpenTelemetry.Exporter;
using BrazeFunctions.Core.Diagnostics;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Logs;

namespace BrazeFunctions.Telemetry;

internal static class RelayTelemetry
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>
    /// OpenTelemetry with the Azure Monitor exporter: the relay's meter, its trace source and the logs (with scopes, which
    /// carry message id, route, attempt and correlation id). Off unless <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set;
    /// with <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> it authenticates with the managed identity instead of the key.
    /// </summary>
    public static IHostApplicationBuilder AddRelayTelemetry(this IHostApplicationBuilder builder)
    {
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
            .WithTracing(tracing => tracing.AddSource(RelayActivity.SourceName))
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
}
