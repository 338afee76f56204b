using System.Diagnostics.Metrics;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>
/// The recorder in front of the trace store, against Azurite: what it buffers reaches the table when flushed; ids that
/// cannot be traced, and every record while tracing is off, are left out.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class TraceRecorderTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Record_ThenFlush_ReachesTheStoreAndIsCountedWritten()
    {
        await using var rig = await StartAsync(enabled: true);
        using var records = Records(rig);
        var id = Guid.CreateVersion7(rig.Time.GetUtcNow()).ToString();

        rig.Host.Get<TraceRecorder>().Record(new TraceRecord(id, TraceEvent.Delivered, rig.Time.GetUtcNow()) { Status = 201 });
        await rig.Host.Get<TraceRecorder>().FlushAsync(default);

        Assert.Equal(201, Assert.Single(await rig.Host.Get<TraceStore>().ReadAsync(id, default)).Status);
        Assert.Contains(records.GetMeasurementSnapshot(), m => (string?)m.Tags["result"] == "written" && m.Value == 1);
    }

    [Fact]
    public async Task Record_IdThatIsNotAUuidV7_IsNotBufferedAtAll()
    {
        await using var rig = await StartAsync(enabled: true);
        using var records = Records(rig);

        rig.Host.Get<TraceRecorder>().Record(new TraceRecord("legacy-id", TraceEvent.Delivered, rig.Time.GetUtcNow()));
        await rig.Host.Get<TraceRecorder>().FlushAsync(default);

        Assert.Empty(records.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task Record_TracingOff_WritesNothing()
    {
        await using var rig = await StartAsync(enabled: false);
        using var records = Records(rig);
        var id = Guid.CreateVersion7(rig.Time.GetUtcNow()).ToString();

        rig.Host.Get<TraceRecorder>().Record(new TraceRecord(id, TraceEvent.Delivered, rig.Time.GetUtcNow()));
        await rig.Host.Get<TraceRecorder>().FlushAsync(default);

        Assert.Empty(records.GetMeasurementSnapshot());
        Assert.Empty(await rig.Host.Get<TraceStore>().ReadAsync(id, default));
    }

    private Task<DispatchRig> StartAsync(bool enabled) =>
        DispatchRig.StartAsync(azurite, new()
        {
            ["Trace:Enabled"] = enabled ? "true" : "false",
            ["Trace:TablePrefix"] = "trace" + Guid.NewGuid().ToString("N")[..8],
        });

    private static MetricCollector<long> Records(DispatchRig rig) =>
        new(rig.Host.Get<IMeterFactory>(), RelayMetrics.MeterName, "relay.trace.records");
}
