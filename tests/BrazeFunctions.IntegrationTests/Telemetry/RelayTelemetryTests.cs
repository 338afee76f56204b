using BrazeFunctions.Core;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Telemetry;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace BrazeFunctions.IntegrationTests.Telemetry;

/// <summary>
/// Program.cs's wiring in a Functions application builder: the OpenTelemetry packages load next to the worker, stay off
/// without a connection string, and with one register the exporters for the relay's meter and trace source.
/// </summary>
public sealed class RelayTelemetryTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["Braze:RestEndpoint"] = "https://rest.fra-01.braze.eu",
        ["Braze:ApiKey"] = "unused",
    };

    [Fact]
    public void AddRelayTelemetry_NoConnectionString_RegistersNoProviders()
    {
        using var host = Build(null);

        Assert.Null(host.Services.GetService<MeterProvider>());
        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<OutboxDispatcher>());
    }

    [Fact]
    public void AddRelayTelemetry_WithConnectionStringAndManagedIdentity_BuildsTheProviders()
    {
        using var host = Build("ClientId=7d3c1a2b-0000-4000-8000-123456789abc;Authorization=AAD");

        Assert.NotNull(host.Services.GetService<MeterProvider>());
        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<OutboxDispatcher>());
    }

    private static IHost Build(string? authentication)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(Settings);
        if (authentication is not null)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [RelayTelemetry.ConnectionStringSetting] = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/",
                [RelayTelemetry.AuthenticationStringSetting] = authentication,
            });
        }

        builder.Services.AddRelayIngress();
        builder.Services.AddRelayTemplates();
        builder.Services.AddRelayDispatch();
        builder.AddRelayTelemetry();
        return builder.Build();
    }
}
