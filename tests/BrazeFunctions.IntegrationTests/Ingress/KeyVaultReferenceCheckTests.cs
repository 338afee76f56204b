using BrazeFunctions.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace BrazeFunctions.IntegrationTests.Ingress;

/// <summary>
/// The relay's real wiring (AddRelayIngress, as Program.cs calls it) refuses to start while a setting still holds the literal
/// Key Vault reference App Service leaves behind when it cannot resolve one. No storage is touched before the check.
/// </summary>
public sealed class KeyVaultReferenceCheckTests
{
    private const string Reference = "@Microsoft.KeyVault(SecretUri=https://kv-relay-prod.vault.azure.net/secrets/ingress-shared-secret/)";

    [Fact]
    public async Task StartAsync_SettingsHoldUnresolvedReferences_FailsNamingEverySettingButNoValue()
    {
        var (host, logs) = Build(new()
        {
            ["Ingress:SharedSecret"] = Reference,
            ["Braze:ApiKey"] = "  " + Reference.ToLowerInvariant(),
        });
        using (host)
        {
            var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

            Assert.Contains("Braze__ApiKey, Ingress__SharedSecret", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("kv-relay-prod", ex.Message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("ingress-shared-secret", ex.Message, StringComparison.OrdinalIgnoreCase);
            var record = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 1004);
            Assert.Equal(LogLevel.Critical, record.Level);
            Assert.Contains("Ingress__SharedSecret", record.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("kv-relay-prod", record.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task StartAsync_ServiceRegisteredBeforeTheCheck_NeverStartsWithAnUnresolvedReference()
    {
        // The Functions worker registers the hosted service that takes invocations before the app's own services.
        var worker = new RecordingService();
        var (host, _) = Build(new() { ["Braze:ApiKey"] = Reference }, services => services.AddSingleton<IHostedService>(worker));
        using (host)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

            Assert.False(worker.Started);
        }
    }

    [Fact]
    public async Task StartAsync_ResolvedSettings_Starts()
    {
        var (host, logs) = Build(new() { ["Ingress:SharedSecret"] = "resolved-value", ["Ingress:NextSharedSecret"] = "" });
        using (host)
        {
            await host.StartAsync();
            await host.StopAsync();

            Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == 1004);
        }
    }

    private static (IHost Host, FakeLogCollector Logs) Build(Dictionary<string, string?> settings, Action<IServiceCollection>? before = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddFakeLogging();
        before?.Invoke(builder.Services);
        builder.Services.AddRelayIngress();
        var host = builder.Build();
        return (host, host.Services.GetFakeLogCollector());
    }

    private sealed class RecordingService : IHostedService
    {
        public bool Started { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            Started = true;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
