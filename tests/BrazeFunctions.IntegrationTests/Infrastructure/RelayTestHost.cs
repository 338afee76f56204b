using BrazeFunctions.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace BrazeFunctions.IntegrationTests.Infrastructure;

/// <summary>
/// The relay's real service wiring (the same extension methods Program.cs calls) in a generic host, started so that
/// ValidateOnStart and hosted services run, with logs captured for assertions.
/// </summary>
internal sealed class RelayTestHost : IAsyncDisposable
{
    private readonly IHost _host;

    private RelayTestHost(IHost host)
    {
        _host = host;
    }

    public IServiceProvider Services => _host.Services;

    public FakeLogCollector Logs => _host.Services.GetFakeLogCollector();

    public static async Task<RelayTestHost> StartAsync(IDictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // Every host gets its own idempotency and trace tables (Azurite lives for the whole test run), unless a test shares them
        // on purpose: a host on a fake clock far ahead would otherwise drop the trace tables of the others as expired.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Idempotency:TablePrefix"] = "dedupe" + Guid.NewGuid().ToString("N")[..12],
            ["Trace:TablePrefix"] = "trace" + Guid.NewGuid().ToString("N")[..12],
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Services.AddFakeLogging(options => options.CollectRecordsForDisabledLogLevels = false);
        builder.Services.AddRelayIngress();
        configure?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        return new RelayTestHost(host);
    }

    public T Get<T>()
        where T : notnull => _host.Services.GetRequiredService<T>();

    /// <summary>Waits until a log record with <paramref name="eventId"/> has been written (or fails after <paramref name="timeout"/>).</summary>
    public async Task<FakeLogRecord> WaitForLogAsync(int eventId, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        if (Logs.GetSnapshot().FirstOrDefault(r => r.Id.Id == eventId) is { } already)
        {
            return already;
        }

        await foreach (var record in Logs.GetLogsAsync(cancel.Token))
        {
            if (record.Id.Id == eventId)
            {
                return record;
            }
        }

        throw new TimeoutException($"No log event {eventId} was written.");
    }

    /// <summary>Every captured log line with its structured values, for "no secret in any log" checks.</summary>
    public string AllLogText() =>
        string.Join('\n', Logs.GetSnapshot().Select(r =>
            r.Message + " | " + string.Join(';', r.StructuredState?.Select(kv => kv.Key + "=" + kv.Value) ?? []) + " | " + r.Exception));

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync().ConfigureAwait(false);
        _host.Dispose();
    }
}
