using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static BrazeFunctions.IntegrationTests.Infrastructure.MeasuredRunReport;

namespace BrazeFunctions.IntegrationTests.MeasuredRuns;

/// <summary>
/// Issue 9's measured run: 2,000 counter webhooks (the shipped <c>counter-increment</c> template, <c>{"inc": 1}</c>) posted to
/// the ingress with Braze's Idempotency-Key recipe, 5 % of them posted twice (Braze retrying), dispatched by a host-like
/// pump that dies before completing 1 % of its runs (the message comes back), against a fake Braze that drops 2 % of its
/// answers after applying the request, and answers 10 % with a 5xx: every 503 unapplied, half of the 500/502/504 applied.
/// It counts, per user, how often the fake applied the increment: never twice, never lost (applied 0 times and not
/// dead-lettered). The figures go to idempotency-run.md, with coalescing on and off.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class IdempotencyMeasuredRunTests
{
    private const int Webhooks = 2000;
    private const string Route = "counter-increment";

    [Fact]
    public async Task Run_CounterWebhooksThroughLostAnswersCrashesAndRetries_NothingAppliedTwiceNothingLost()
    {
        var runs = new List<RunFigures>
        {
            await RunAsync("coalescing on", "00:00:00.100"),
            await RunAsync("coalescing off", "00:00:00"),
        };

        Assert.All(runs, r => Assert.Equal(0, r.AppliedTwice));
        Assert.All(runs, r => Assert.Equal(0, r.Lost));
        Assert.All(runs, r => Assert.Equal(Webhooks, r.Accepted));
        await WriteAsync("idempotency-run.md", Report(runs));
    }

    private static async Task<RunFigures> RunAsync(string name, string linger)
    {
        var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        await using var rig = await DispatchRig.StartAsync(azurite, new()
        {
            ["Dispatch:BatchLinger"] = linger,
            ["Dispatch:InPlaceRetryDelay"] = "00:00:00.100",
            ["Dispatch:RetrySchedule"] = "1s,2s,4s",
            ["Dispatch:RetryScheduleJitter"] = "0.2",
            ["Braze:RequestTimeout"] = "00:00:03",
        }, useShippedTemplates: true);
        try
        {
            using var operations = new MetricCollector<long>(rig.Host.Get<IMeterFactory>(), RelayMetrics.MeterName, "relay.idempotency.operations");
            using var duplicates = new MetricCollector<long>(rig.Host.Get<IMeterFactory>(), RelayMetrics.MeterName, "relay.idempotency.duplicates");
            AnswerLikeAnUnreliableBraze(rig);

            var ingress = Stopwatch.StartNew();
            var ingressAnswers = await PostEveryWebhookAsync(rig);
            ingress.Stop();
            var ingressOperations = operations.GetMeasurementSnapshot().Sum(m => m.Value);

            var dispatch = Stopwatch.StartNew();
            var pump = await DispatchUntilTheOutboxIsEmptyAsync(rig);
            dispatch.Stop();
            var dispatchOperations = operations.GetMeasurementSnapshot().Sum(m => m.Value) - ingressOperations;

            return await FiguresAsync(name, rig, ingressAnswers, pump, duplicates) with
            {
                IngressOperations = ingressOperations / (double)Webhooks,
                DispatchOperations = dispatchOperations / (double)Webhooks,
                IngressTime = ingress.Elapsed,
                DispatchTime = dispatch.Elapsed,
            };
        }
        finally
        {
            await azurite.DisposeAsync();
        }
    }

    /// <summary>Drops 2 % of the answers after applying, answers 4 % with 503 and 6 % with 500/502/504, half of those applied.</summary>
    private static void AnswerLikeAnUnreliableBraze(DispatchRig rig) =>
        rig.Braze.Rule = (sequence, _) => (sequence * 7919 % 100) switch
        {
            < 2 => new SandboxAnswer.ApplyThenDrop(),
            < 6 => new SandboxAnswer.Status(503, "{\"message\":\"Service Unavailable\"}"),
            6 => new SandboxAnswer.ApplyThenStatus(500),
            7 => new SandboxAnswer.Status(500, "{\"message\":\"Internal Server Error\"}"),
            8 => new SandboxAnswer.ApplyThenStatus(502),
            9 => new SandboxAnswer.Status(502, "{\"message\":\"Bad Gateway\"}"),
            10 => new SandboxAnswer.ApplyThenStatus(504),
            11 => new SandboxAnswer.Status(504, "{\"message\":\"Gateway Timeout\"}"),
            _ => null,
        };

    /// <summary>Ingress: every webhook once, and 5 % again (Braze retrying after a timeout).</summary>
    private static async Task<List<(int Index, int Status, bool Replayed)>> PostEveryWebhookAsync(DispatchRig rig)
    {
        var ingressAnswers = new System.Collections.Concurrent.ConcurrentBag<(int Index, int Status, bool Replayed)>();
        var posts = Enumerable.Range(0, Webhooks).Concat(Enumerable.Range(0, Webhooks).Where(i => i % 20 == 3)).ToList();
        await Parallel.ForEachAsync(posts, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var (status, _, response) = await FunctionCall.PostWebhookAsync(rig.Host.Get<WebhookIngress>(), Route,
                $"{{\"user_id\":\"u-{i}\",\"dispatch_id\":\"dispatch-9\"}}",
                headers: new Dictionary<string, string> { ["Idempotency-Key"] = $"dispatch-9-{i}" });
            ingressAnswers.Add((i, status, response.Headers["Idempotent-Replayed"] == "true"));
        });
        return [.. ingressAnswers];
    }

    /// <summary>Dispatch until every message ended: the host-like pump; 1 % of runs "crash" before the host completes them.</summary>
    private static async Task<HostQueuePump> DispatchUntilTheOutboxIsEmptyAsync(DispatchRig rig)
    {
        var pump = new HostQueuePump(rig.Outbox, rig.Dispatcher, TimeSpan.FromSeconds(3), m => m.DequeueCount == 1 && Math.Abs(m.MessageId.GetHashCode(StringComparison.Ordinal)) % 100 == 0);
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => pump.RunAsync(stop.Token));
        await Poll.TryUntilAsync(
            async () => (await rig.Outbox.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, TimeSpan.FromMinutes(4), TimeSpan.FromSeconds(1));

        await stop.CancelAsync();
        await running;
        return pump;
    }

    private static async Task<RunFigures> FiguresAsync(
        string name, DispatchRig rig, List<(int Index, int Status, bool Replayed)> ingressAnswers, HostQueuePump pump, MetricCollector<long> duplicates)
    {
        var poison = await rig.Host.Get<DeadLetterStore>().ListAsync(DeadLetterFilter.All, default);
        var deadUsers = poison.Select(p => p.Entry.Envelope?.PayloadJson).Where(p => p is not null)
            .Select(p => System.Text.Json.JsonDocument.Parse(p!).RootElement.GetProperty("user_id").GetString()!).ToHashSet(StringComparer.Ordinal);
        var applied = Enumerable.Range(0, Webhooks).Select(i => rig.Braze.Counters.GetValueOrDefault($"u-{i}/message_view_count")).ToList();
        var results = pump.Results.ToList();
        return new RunFigures(
            name,
            ingressAnswers.Count(a => a.Status == StatusCodes.Status202Accepted && !a.Replayed),
            ingressAnswers.Count(a => a.Replayed),
            applied.Count(c => c == 1),
            applied.Count(c => c >= 2),
            Enumerable.Range(0, Webhooks).Count(i => applied[i] == 0 && !deadUsers.Contains($"u-{i}")),
            poison.Count(p => p.Entry.Reason?.Code == "ambiguous_outcome"),
            Enumerable.Range(0, Webhooks).Count(i => applied[i] == 1 && deadUsers.Contains($"u-{i}")),
            poison.Count,
            string.Join(", ", poison.GroupBy(p => p.Entry.Reason?.Code ?? "(none)").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}")),
            rig.Braze.Requests.Count,
            rig.Braze.Requests.Count(r => r.Dropped),
            rig.Braze.Requests.Count(r => r.Status >= 500),
            results.Count(r => r.DequeueCount > 1),
            results.Count(r => r.Result.Outcome == DispatchOutcome.Duplicate),
            duplicates.GetMeasurementSnapshot().Where(m => (string?)m.Tags["stage"] == "ingress").Sum(m => m.Value),
            IngressOperations: 0,
            DispatchOperations: 0,
            IngressTime: TimeSpan.Zero,
            DispatchTime: TimeSpan.Zero);
    }

    private static string Report(List<RunFigures> runs)
    {
        var text = new StringBuilder()
            .Line("# Idempotency measured run (counters through lost answers, crashes and Braze retries)")
            .Line()
            .Line("Written by `IdempotencyMeasuredRunTests` (tests/BrazeFunctions.IntegrationTests/MeasuredRuns). 2,000 webhooks on the shipped")
            .Line("`counter-increment` route (`{\"inc\": 1}` on `message_view_count`, one user each, key `dispatch_id:user_id`) are posted to the")
            .Line("ingress function with an `Idempotency-Key` header, 5 % of them twice. A pump with host.json's batch settings dispatches them")
            .Line("against the fake Braze and, for 1 % of the messages, \"dies\" after the run and before completing the message, which then")
            .Line("comes back after a 3-second visibility timeout with dequeue count 2. The fake applies each request as Braze would, but drops")
            .Line("2 % of its answers after applying, answers 4 % with 503 (not applied) and 6 % with 500/502/504, half of them after applying.")
            .Line("Retry schedule `1s,2s,4s`, request timeout 3 s, Azurite's table service for the idempotency records.")
            .Line()
            .Line(Row("configuration", "webhooks queued", "repeats answered with the original id", "counters applied once", "applied twice (goal 0)", "lost: applied 0 times, not dead-lettered (goal 0)", "ambiguous dead letters", "... of which Braze had applied", "dead letters", "by reason"))
            .Line("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in runs)
        {
            text.Line(Row(r.Name, r.Accepted, r.Replayed, r.AppliedOnce, r.AppliedTwice, r.Lost, r.Ambiguous, r.AmbiguousButApplied, r.DeadLetters, r.Reasons));
        }

        text.Line()
            .Line(Row("configuration", "Braze requests", "answers dropped after applying", "5xx answers", "redelivered runs (crash)", "runs ended as duplicate", "ingress repeats suppressed", "table operations per message at the ingress", "table operations per message at dispatch", "ingress time", "dispatch time"))
            .Line("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in runs)
        {
            text.Line(Row(r.Name, r.Requests, r.Dropped, r.ServerErrors, r.Redelivered, r.DuplicateRuns, r.IngressRepeats, r.IngressOperations, r.DispatchOperations,
                r.IngressTime.TotalSeconds.ToString("0.0 s", CultureInfo.InvariantCulture), r.DispatchTime.TotalSeconds.ToString("0.0 s", CultureInfo.InvariantCulture)));
        }

        text.Line()
            .Line("Every ambiguous dead letter is a message whose counter may or may not have been applied: the operator checks the profile")
            .Line("(the dead letter names the time window) and replays with `--include-ambiguous` or drops it. The column \"of which Braze had")
            .Line("applied\" shows how many of those the fake did apply; replaying those would count twice, dropping the others would count")
            .Line("one less. Table operations include the reads that follow a conflict, the releases after 429/503 and the claims of retries.");
        return text.ToString();
    }

    private sealed record RunFigures(
        string Name, int Accepted, int Replayed, int AppliedOnce, int AppliedTwice, int Lost, int Ambiguous, int AmbiguousButApplied, int DeadLetters,
        string Reasons, int Requests, int Dropped, int ServerErrors, int Redelivered, int DuplicateRuns, long IngressRepeats, double IngressOperations,
        double DispatchOperations, TimeSpan IngressTime, TimeSpan DispatchTime);
}
