using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using static BrazeFunctions.IntegrationTests.Infrastructure.MeasuredRunReport;

namespace BrazeFunctions.IntegrationTests.MeasuredRuns;

/// <summary>
/// Issue 8's measured run: /users/track webhooks offered faster than a fake Braze limited to 3 requests per 3-second
/// window, through the real dispatcher fed by a pump that behaves like the host's queue listener (host.json's batchSize
/// and newBatchThreshold), with one and two instances (two service providers on one Azurite and one fake), with
/// coalescing and shared pacing on, then both off, then on with a fault mix. Always asserted: no update applied twice
/// without a fault, every configuration delivered; the figures go to delivery-run.md. RELAY_MEASURED_RUN=full runs 20
/// windows per configuration, writes benchmarks/results/ and also fails on a missed goal (objects per call, goodput, 429
/// share); the default (CI) runs 6 windows into TestResults/ and never fails on a figure, since CI machines are shared.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeliveryMeasuredRunTests
{
    private const int WindowSeconds = 3;
    private const int Limit = 3;
    private const int Cap = 75;

    [Fact]
    public async Task Run_BurstAgainstALowRateLimit_FiguresWithCoalescingAndSharedPacingOnAndOff()
    {
        var windows = Full ? 20 : 6;
        if (int.TryParse(Environment.GetEnvironmentVariable("RELAY_MEASURED_WINDOWS"), CultureInfo.InvariantCulture, out var asked))
        {
            windows = asked;
        }

        var runs = new List<RunFigures>
        {
            await RunAsync("coalescing and shared pacing on", instances: 1, on: true, faults: false, windows),
            await RunAsync("coalescing and shared pacing on", instances: 2, on: true, faults: false, windows),
            await RunAsync("both off", instances: 1, on: false, faults: false, windows),
            await RunAsync("both off", instances: 2, on: false, faults: false, windows),
            await RunAsync("on, with faults", instances: 1, on: true, faults: true, windows),
            await RunAsync("on, idempotency off", instances: 1, on: true, faults: false, windows, idempotency: false),
        };

        foreach (var run in runs.Where(r => !r.Faults))
        {
            Assert.Equal(0, run.AppliedTwice);
        }

        Assert.All(runs, r => Assert.True(r.Delivered > 0, $"{r.Name} x{r.Instances} delivered nothing"));
        await WriteAsync("delivery-run.md", Report(runs, windows));
        if (Full)
        {
            // The goals hold for a measured run on a quiet machine; CI's short run on a shared one reports the figures only.
            Assert.Empty(MissedGoals(runs));
        }
    }

    /// <summary>Issue 8's goals for coalescing and shared pacing on, without faults: one line per goal a configuration missed.</summary>
    private static List<string> MissedGoals(IEnumerable<RunFigures> runs)
    {
        var missed = new List<string>();
        foreach (var run in runs.Where(r => r.Name == "coalescing and shared pacing on"))
        {
            var name = $"{run.Name} x{run.Instances}";
            if (run.ObjectsPerCall < 70)
            {
                missed.Add($"{name}: {run.ObjectsPerCall:F1} objects per call (goal: at least 70)");
            }

            if (run.Goodput < 0.90)
            {
                missed.Add($"{name}: goodput {run.Goodput:P1} of limit x cap (goal: at least 90 %)");
            }

            if (run.RateLimitedShare > 0.01)
            {
                missed.Add($"{name}: {run.RateLimitedShare:P2} of requests answered 429 (goal: at most 1 %)");
            }
        }

        return missed;
    }

    private static async Task<RunFigures> RunAsync(string name, int instances, bool on, bool faults, int windows, bool idempotency = true)
    {
        // Each configuration gets an Azurite of its own: thousands of leftover messages and records from the previous one
        // slow the in-memory emulator down enough to time storage calls out.
        var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        var rigs = await StartInstancesAsync(azurite, instances, on, idempotency);
        var braze = rigs[0].Braze;
        braze.SetLimit(BrazeBucket.UsersTrack, Limit, TimeSpan.FromSeconds(WindowSeconds));
        if (faults)
        {
            InjectFaults(braze);
        }

        try
        {
            // Offered faster than the limit lets through (1.3 times limit x cap), from a backlog of two windows' worth: the
            // relay always has work waiting. A feeder adds the rest during the run instead of pre-filling all of it: the
            // in-memory emulator's queue operations slow down with the queue's length, which Azure Storage's do not.
            var perSecond = (on ? Limit * Cap : Limit) * 1.3 / WindowSeconds;
            var backlog = (int)(perSecond * WindowSeconds * 2);
            var prefill = Stopwatch.StartNew();
            await OfferAsync(rigs[0], name, instances, 0, backlog, CancellationToken.None);
            prefill.Stop();

            var pumps = rigs.Select(r => new HostQueuePump(r.Outbox, r.Dispatcher, TimeSpan.FromMinutes(10))).ToList();
            using var stop = new CancellationTokenSource();
            var started = TimeProvider.System.GetUtcNow();
            var running = pumps.Select(p => Task.Run(() => p.RunAsync(stop.Token))).ToList();
            var feeding = Task.Run(() => FeedAsync(rigs[0], name, instances, backlog, perSecond, stop.Token));
            await Task.Delay(TimeSpan.FromSeconds(WindowSeconds * windows));
            await stop.CancelAsync();
            var ended = TimeProvider.System.GetUtcNow();
            await Task.WhenAll(running);
            var offered = await feeding;

            return Measure(name, instances, faults, braze, pumps, started, ended, offered, prefill.Elapsed);
        }
        finally
        {
            foreach (var rig in Enumerable.Reverse(rigs))
            {
                await rig.DisposeAsync();
            }

            await azurite.DisposeAsync();
        }
    }

    /// <summary>Starts <paramref name="instances"/> relays sharing one Braze sandbox and one outbox, like scaled-out hosts.</summary>
    private static async Task<List<DispatchRig>> StartInstancesAsync(AzuriteFixture azurite, int instances, bool on, bool idempotency)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Dispatch:BatchLinger"] = on ? "00:00:00.100" : "00:00:00",
            ["Dispatch:SharedPacing"] = on ? "true" : "false",
            ["Dispatch:InPlaceRetryDelay"] = "00:00:00.200",
            ["Braze:RequestTimeout"] = "00:00:03",
            ["Idempotency:Enabled"] = idempotency ? "true" : "false",
        };
        var rigs = new List<DispatchRig> { await DispatchRig.StartAsync(azurite, settings) };
        for (var i = 1; i < instances; i++)
        {
            rigs.Add(await DispatchRig.StartAsync(azurite, settings, sharedBraze: rigs[0].Braze, sharedQueue: rigs[0].Queue));
        }

        return rigs;
    }

    private static void InjectFaults(BrazeSandbox braze) =>
        // 5 % 503, 3 % 500, 2 % connections dropped, 2 % stalled past the 3-second request timeout.
        // A fixed scramble of the arrival number spreads the faults over the run instead of putting them first.
        braze.Rule = (sequence, _) => (sequence * 7919 % 100) switch
        {
            < 5 => new SandboxAnswer.Status(503, "{\"message\":\"Service Unavailable\"}"),
            < 8 => new SandboxAnswer.Status(500, "{\"message\":\"Internal Server Error\"}"),
            < 10 => new SandboxAnswer.Drop(),
            < 12 => new SandboxAnswer.Delay(TimeSpan.FromSeconds(4)),
            _ => null,
        };

    /// <summary>Offers <paramref name="perSecond"/> webhooks a second on top of the backlog until stopped; returns how many were offered in all.</summary>
    private static async Task<int> FeedAsync(DispatchRig rig, string name, int instances, int backlog, double perSecond, CancellationToken stop)
    {
        var offered = backlog;
        var clock = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            var due = backlog + (int)(perSecond * clock.Elapsed.TotalSeconds) - offered;
            if (due > 0)
            {
                await OfferAsync(rig, name, instances, offered, due, CancellationToken.None);
                offered += due;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return offered;
    }

    /// <summary>Queues <paramref name="count"/> /users/track webhooks (one attribute update each), numbered from <paramref name="from"/>.</summary>
    private static Task OfferAsync(DispatchRig rig, string name, int instances, int from, int count, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(Enumerable.Range(from, count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
            await rig.Outbox.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(rig.Envelope($"{{\"user_id\":\"{name[..2]}{instances}-{i}\",\"plan\":\"p{i % 7}\"}}"))), null, null, ct));

    private static RunFigures Measure(string name, int instances, bool faults, BrazeSandbox braze, List<HostQueuePump> pumps, DateTimeOffset started, DateTimeOffset ended, int offered, TimeSpan prefill)
    {
        var requests = braze.Requests.Where(r => r.Path == "/users/track").ToList();
        var firstWindow = started.ToUnixTimeSeconds() / WindowSeconds + 1;
        var lastWindow = ended.ToUnixTimeSeconds() / WindowSeconds - 1;
        // Steady state: whole windows from the third on (the first two learn the window) up to the last whole one.
        var steadyFrom = firstWindow + 2;
        var steady = requests.Where(r => r.ArrivedAt.ToUnixTimeSeconds() / WindowSeconds is var w && w >= steadyFrom && w <= lastWindow).ToList();
        var steadyWindows = Math.Max(1, lastWindow - steadyFrom + 1);
        static int Objects(SandboxRequest r) => JsonNode.Parse(r.Body)?["attributes"]?.AsArray().Count ?? 0;
        var accepted = steady.Where(r => r.Status is >= 200 and < 300).ToList();
        var results = pumps.SelectMany(p => p.Results).ToList();
        var applied = braze.AppliedObjects.GroupBy(o => o.User).ToList();
        return new RunFigures(
            name,
            instances,
            faults,
            offered,
            requests.Count,
            requests.Count(r => r.Status == 429),
            requests.Count(r => r.InsideAnnouncedWindow),
            requests.Where(r => r.Status is >= 200 and < 300).Sum(Objects),
            accepted.Count == 0 ? 0 : accepted.Average(Objects),
            accepted.Sum(Objects) / (double)(steadyWindows * Limit * Cap),
            steady.Count == 0 ? 0 : steady.Count(r => r.Status == 429) / (double)steady.Count,
            requests.GroupBy(r => r.ArrivedAt.ToUnixTimeSeconds() / WindowSeconds).Max(g => (int?)g.Count()) ?? 0,
            steadyWindows,
            results.Count(r => r.Result.Outcome == DispatchOutcome.Delivered),
            results.Count(r => r.Result.Outcome == DispatchOutcome.Deferred),
            results.Count(r => r.Result.Outcome == DispatchOutcome.DeadLettered),
            applied.Count(g => g.Count() > 1),
            pumps.Max(p => p.PeakInFlight),
            pumps.Sum(p => p.FailedRuns),
            [.. pumps.SelectMany(p => p.Failures).Distinct().Take(3)],
            requests.Count(r => r.Status is 500 or 503 || r.Dropped),
            ended - started,
            prefill,
            string.Join(" ", Enumerable.Range(0, (int)(lastWindow - firstWindow + 1)).Select(k => requests.Where(r => r.ArrivedAt.ToUnixTimeSeconds() / WindowSeconds == firstWindow + k && r.Status is >= 200 and < 300).Sum(Objects).ToString(CultureInfo.InvariantCulture))));
    }

    private static string Report(List<RunFigures> runs, int windows)
    {
        var text = new StringBuilder()
            .Line("# Delivery measured run (coalescing, pacing, shared state)")
            .Line()
            .Line("Written by `DeliveryMeasuredRunTests` (tests/BrazeFunctions.IntegrationTests/MeasuredRuns). Each configuration offers a real")
            .Line("Azurite outbox /users/track webhooks (one attribute update each) at 1.3 times what the limit lets through, from a backlog")
            .Line("of two windows' worth plus a feeder during the run (a pre-filled queue of thousands slows the in-memory emulator's queue")
            .Line("operations down, which Azure Storage's are not), and runs the real")
            .Line("dispatcher for " + windows.ToString(CultureInfo.InvariantCulture) + $" rate-limit windows of {WindowSeconds} s, fed by a pump that behaves like the host's queue listener with")
            .Line("host.json's `batchSize` and `newBatchThreshold`. The fake Braze (Kestrel on 127.0.0.1) allows " + Limit.ToString(CultureInfo.InvariantCulture) + $" /users/track requests per {WindowSeconds}-second")
            .Line("fixed window (Braze's burst limit, scaled down), answers 429 beyond it and sends `X-RateLimit-*` and `Date` on every answer.")
            .Line("Two instances are two service providers on the same outbox, tables and fake. \"On\" is the default configuration")
            .Line("(linger 100 ms, cap 75, shared pacing); \"off\" is `Dispatch__BatchLinger=0` and `Dispatch__SharedPacing=false`. The fault mix:")
            .Line("5 % 503, 3 % 500, 2 % dropped connections, 2 % stalls of 4 s against a 3-second request timeout. \"Idempotency off\" is the")
            .Line("default configuration without the claim and the mark (two table operations per message): it shows how much of the gap to")
            .Line("the goals is this machine's storage emulator (Azurite on 2 cores, shared with the relay, the fake and the pump) rather")
            .Line("than pacing: every message costs a receive share, a claim, a mark and a delete there.")
            .Line("Steady state = whole windows from the third one on (the first two learn the window and its length).")
            .Line()
            .Line(Row("configuration", "instances", "objects per /users/track call (steady)", "goodput, share of limit x cap (steady)", "429 share (steady)", "429 answers (all)", "requests (all)", "max requests in one window", "updates delivered", "deferred runs", "dead-lettered", "updates applied twice", "peak runs in flight per instance", "faults injected"))
            .Line("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in runs)
        {
            text.Line(Row(r.Name, r.Instances, r.ObjectsPerCall, Percent(r.Goodput), Percent(r.RateLimitedShare), r.RateLimited, r.Requests, r.MaxPerWindow, r.DeliveredObjects, r.Deferred, r.DeadLettered, r.AppliedTwice, r.PeakInFlight, r.Faults ? r.FaultsInjected : "none"));
        }

        text.Line()
            .Line("Goals (issue 8): at least 70 objects per call at saturation, goodput at least 90 % of limit x cap, at most 1 % of requests")
            .Line("answered 429, with one and with two instances. Figures, not assertions: the test asserts only that no update was applied")
            .Line("twice without faults and that every configuration delivered. Under faults, an update may be applied twice by design: a plain attribute")
            .Line("update is resent after an ambiguous failure (`on_ambiguous` defaults to retry for it).")
            .Line()
            .Line(Row("configuration", "instances", "steady windows", "messages offered", "backlog fill time", "run time", "requests inside an announced 429 window", "runs that threw (storage timeouts; the message comes back, as under the host)"))
            .Line("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in runs)
        {
            text.Line(Row(r.Name, r.Instances, r.SteadyWindows, r.Offered, r.Prefill.TotalSeconds.ToString("0.0 s", CultureInfo.InvariantCulture), r.RunTime.TotalSeconds.ToString("0.0 s", CultureInfo.InvariantCulture), r.InsideAnnounced,
                r.FailedRuns == 0 ? "0" : $"{r.FailedRuns} ({string.Join("; ", r.FailureSamples.Select(f => f.Split(" at ")[0]))})"));
        }

        text.Line()
            .Line("Objects delivered per window, window by window (first whole window first):")
            .Line();
        foreach (var r in runs)
        {
            text.Line($"- {r.Name}, {r.Instances} instance(s): {r.ObjectsPerWindow}");
        }

        return text.ToString();
    }

    private sealed record RunFigures(
        string Name, int Instances, bool Faults, int Offered, int Requests, int RateLimited, int InsideAnnounced, int DeliveredObjects,
        double ObjectsPerCall, double Goodput, double RateLimitedShare, int MaxPerWindow, long SteadyWindows, int Delivered, int Deferred,
        int DeadLettered, int AppliedTwice, int PeakInFlight, int FailedRuns, IReadOnlyList<string> FailureSamples, int FaultsInjected, TimeSpan RunTime, TimeSpan Prefill,
        string ObjectsPerWindow);
}
