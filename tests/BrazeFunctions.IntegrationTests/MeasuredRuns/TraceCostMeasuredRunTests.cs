using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static BrazeFunctions.IntegrationTests.Infrastructure.MeasuredRunReport;

namespace BrazeFunctions.IntegrationTests.MeasuredRuns;

/// <summary>
/// Issue 19's measured run of the trace records' cost: webhooks posted to the ingress (real UUIDv7 ids), dispatched by the
/// host-like pump against the fake Braze, with coalescing on and off and with a Braze rate limit that defers messages (more
/// records each). It counts the trace store's table operations (<c>relay.trace.operations</c>) and records per message, and
/// checks that <c>trace</c> says "delivered" for a sample of the ids. RELAY_MEASURED_RUN=full posts 2,000 webhooks per
/// configuration and writes benchmarks/results/trace-run.md; the default posts 400 into TestResults/.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class TraceCostMeasuredRunTests
{
    private const string Route = "attribute-from-event";

    [Fact]
    public async Task Run_WebhooksThroughTheRelay_TraceRecordsCostWellUnderOneTransactionPerMessage()
    {
        var webhooks = Full ? 2000 : 400;
        var runs = new List<RunFigures>
        {
            await RunAsync("coalescing on (linger 100 ms)", webhooks, "00:00:00.100", limit: null),
            await RunAsync("coalescing off", webhooks, "00:00:00", limit: null),
            // One message per request against a low limit: the pacer defers what it cannot send soon, and each deferral is a record.
            await RunAsync("coalescing off, Braze limited to 60 requests per 3 s", webhooks, "00:00:00", limit: 60),
        };

        Assert.All(runs, r => Assert.Equal(webhooks, r.Delivered));
        Assert.All(runs, r => Assert.Equal(r.Sampled, r.TracedDelivered));
        Assert.All(runs, r => Assert.True(r.Transactions < r.Delivered, $"{r.Name}: {r.Transactions} transactions for {r.Delivered} messages"));
        await WriteAsync("trace-run.md", Report(runs, webhooks));
    }

    private static async Task<RunFigures> RunAsync(string name, int webhooks, string linger, int? limit)
    {
        // The rate-limited configuration outlives a minute: on disk, since in memory the emulator then stops answering for
        // seconds (see AzuriteFixture). The others end well within a minute, in memory as the other tests.
        var azurite = limit is null ? new AzuriteFixture() : AzuriteFixture.OnDisk();
        await azurite.InitializeAsync();
        await using var rig = await DispatchRig.StartAsync(azurite, new()
        {
            ["Dispatch:BatchLinger"] = linger,
            ["Dispatch:InPlaceRetryDelay"] = "00:00:00.100",
            ["Braze:RequestTimeout"] = "00:00:05",
        }, useShippedTemplates: true);
        try
        {
            if (limit is { } requests)
            {
                rig.Braze.SetLimit(BrazeBucket.UsersTrack, requests, TimeSpan.FromSeconds(3));
            }

            using var operations = new MetricCollector<long>(rig.Host.Get<IMeterFactory>(), RelayMetrics.MeterName, "relay.trace.operations");
            using var records = new MetricCollector<long>(rig.Host.Get<IMeterFactory>(), RelayMetrics.MeterName, "relay.trace.records");
            var ids = await PostWebhooksAsync(rig, webhooks);

            var clock = Stopwatch.StartNew();
            var pump = await DispatchUntilDeliveredAsync(rig, webhooks);
            clock.Stop();
            await rig.Host.Get<TraceRecorder>().FlushAsync(default);

            var sample = ids.OrderBy(id => id, StringComparer.Ordinal).Where((_, i) => i % 20 == 0).ToList();
            var states = await TraceStatesAsync(rig, sample);

            long Operations(string operation, string? result = null) => operations.GetMeasurementSnapshot()
                .Where(m => (string?)m.Tags["operation"] == operation && (result is null || (string?)m.Tags["result"] == result)).Sum(m => m.Value);
            var results = pump.Results.ToList();
            return new RunFigures(
                name,
                results.Count(r => r.Result.Outcome == DispatchOutcome.Delivered),
                string.Join(", ", results.GroupBy(r => r.Result.Outcome).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}")),
                rig.Braze.Requests.Count,
                Operations("transaction", "ok"),
                Operations("transaction", "failed"),
                Operations("create_table"),
                records.GetMeasurementSnapshot().Where(m => (string?)m.Tags["result"] == "written").Sum(m => m.Value),
                records.GetMeasurementSnapshot().Where(m => (string?)m.Tags["result"] is "failed" or "dropped").Sum(m => m.Value),
                sample.Count,
                states.Count(s => s == MessageState.Delivered),
                string.Join(", ", states.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}")),
                clock.Elapsed);
        }
        finally
        {
            await azurite.DisposeAsync();
        }
    }

    private static async Task<List<string>> PostWebhooksAsync(DispatchRig rig, int webhooks)
    {
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, webhooks), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var (status, body, _) = await FunctionCall.PostWebhookAsync(rig.Host.Get<WebhookIngress>(), Route,
                $"{{\"user_id\":\"u-{i}\",\"dispatch_id\":\"d-1\",\"event_properties\":{{\"plan\":\"gold\"}}}}");
            Assert.Equal(202, status);
            ids.Add(body.GetProperty("id").GetString()!);
        });
        return [.. ids];
    }

    private static async Task<HostQueuePump> DispatchUntilDeliveredAsync(DispatchRig rig, int webhooks)
    {
        var pump = new HostQueuePump(rig.Outbox, rig.Dispatcher, TimeSpan.FromSeconds(30));
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => pump.RunAsync(stop.Token));
        await Poll.TryUntilAsync(
            () => pump.Results.Count(r => r.Result.Outcome == DispatchOutcome.Delivered) >= webhooks, TimeSpan.FromMinutes(10), TimeSpan.FromMilliseconds(500));

        await stop.CancelAsync();
        await running;
        return pump;
    }

    private static async Task<List<MessageState>> TraceStatesAsync(DispatchRig rig, List<string> sample)
    {
        var trace = rig.Host.Get<IMessageTrace>();
        var states = new List<MessageState>();
        foreach (var id in sample)
        {
            states.Add((await trace.TraceAsync(id, default)).State);
        }

        return states;
    }

    private static string Report(List<RunFigures> runs, int webhooks)
    {
        var text = new StringBuilder()
            .Line("# Trace records measured run (what `trace <id>` costs in table operations)")
            .Line()
            .Line("Written by `TraceCostMeasuredRunTests` (tests/BrazeFunctions.IntegrationTests/MeasuredRuns). " +
                $"{webhooks.ToString("N0", CultureInfo.InvariantCulture)} webhooks on the shipped `{Route}` route are posted to the")
            .Line("ingress function (ids are the ingress's UUIDv7), then a pump with host.json's batch settings dispatches them against the fake")
            .Line("Braze on Azurite: in memory, and on disk for the rate-limited configuration, which outlives a minute (in memory, the")
            .Line("emulator's queue garbage collection then stops it answering for seconds once a minute). The dispatcher hands each")
            .Line("ending to the trace recorder, which writes every second: the records of one")
            .Line("table partition (one minute of receipt times) go in entity-group transactions of up to 100. A table operation here is")
            .Line("one request to the table service: one entity-group transaction (however many records it holds), one table creation")
            .Line("(the first record of a UTC day) or the failed transaction that found the day's table missing. Check how your price sheet")
            .Line("counts a batch before turning operations into money. One id in 20 is then traced through `IMessageTrace`, the code")
            .Line("behind `trace`.")
            .Line()
            .Line(Row("configuration", "messages delivered", "dispatch runs by ending", "Braze requests", "records written", "records lost", "transactions", "table operations in all", "table operations per message", "records per transaction", "traced (of a sample)", "dispatch time"))
            .Line("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in runs)
        {
            var all = r.Transactions + r.FailedTransactions + r.TablesCreated;
            text.Line(Row(r.Name, r.Delivered, r.Endings, r.BrazeRequests, r.Written, r.Lost, r.Transactions, all,
                all / (double)Math.Max(1, r.Delivered), r.Written / (double)Math.Max(1, r.Transactions), $"{r.TracedStates} (of {r.Sampled})",
                r.DispatchTime.TotalSeconds.ToString("0.0 s", CultureInfo.InvariantCulture)));
        }

        text.Line()
            .Line("Records are one per ending of a dispatch run: delivered, and one per deferral (a rate-limited message is recorded each")
            .Line("time it goes back on the outbox), duplicate for a copy. The cost per message falls as traffic grows, because one second's records of one minute's messages share a")
            .Line("transaction; at one message a second it is one transaction per message. Reads (`trace`) cost one query each and are not")
            .Line("counted above.");
        return text.ToString();
    }

    private sealed record RunFigures(
        string Name, int Delivered, string Endings, int BrazeRequests, long Transactions, long FailedTransactions, long TablesCreated, long Written, long Lost,
        int Sampled, int TracedDelivered, string TracedStates, TimeSpan DispatchTime);
}
