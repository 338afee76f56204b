using System.Diagnostics.Metrics;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace BrazeFunctions.Tests.Dispatch;

/// <summary>What the trace records cost and lose, as counters: one per table operation, and records by result.</summary>
public sealed class TraceMetricsTests
{
    private readonly RelayMetrics _metrics = new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    [Fact]
    public void Operation_CountsOneWithTheOperationAndItsResult()
    {
        using var operations = new MetricCollector<long>(_metrics.Meter, "relay.trace.operations");
        var trace = new TraceMetrics(_metrics);

        trace.Operation("transaction", "ok");
        trace.Operation("create_table", "failed");

        Assert.Equal(
            [(1L, "transaction", "ok"), (1L, "create_table", "failed")],
            operations.GetMeasurementSnapshot().Select(m => (m.Value, (string)m.Tags["operation"]!, (string)m.Tags["result"]!)));
    }

    [Fact]
    public void Records_CountsTheRecordsByResult_AndNothingForNone()
    {
        using var records = new MetricCollector<long>(_metrics.Meter, "relay.trace.records");
        var trace = new TraceMetrics(_metrics);

        trace.Records("written", 17);
        trace.Records("dropped", 0);
        trace.Records("failed", 3);

        Assert.Equal([(17L, "written"), (3L, "failed")], records.GetMeasurementSnapshot().Select(m => (m.Value, (string)m.Tags["result"]!)));
    }
}
