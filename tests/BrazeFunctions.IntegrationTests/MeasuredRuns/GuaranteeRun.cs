using System.Collections.Concurrent;
using System.Text.Json;
using Azure.Core;
using Azure.Core.Pipeline;
using BrazeFunctions.Cli;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;

namespace BrazeFunctions.IntegrationTests.MeasuredRuns;

/// <summary>One configuration of the guarantee run: what was applied per user, what was dead-lettered and replayed, and what it cost in storage.</summary>
internal sealed record GuaranteeFigures(
    string Name, int Webhooks, int Accepted, int AmbiguousAfterFaults, int AmbiguousButApplied, int Replayed, int ReplayAnswered500,
    int AppliedOnce, int AppliedMoreThanOnce, int AppliedTooOften, int UndeclaredRepeats, int Lost, int DeadLettersLeft, string ReasonsLeft,
    int RequestsFaults, int RequestsReplay, bool Drained, StorageCounts Ingress, StorageCounts Dispatch);

/// <summary>Storage operations counted at the SDK's transport, by service.</summary>
internal sealed record StorageCounts(long Queue, long Table, long Blob)
{
    public static StorageCounts operator -(StorageCounts a, StorageCounts b) => new(a.Queue - b.Queue, a.Table - b.Table, a.Blob - b.Blob);
}

/// <summary>
/// Runs one configuration: counters posted with Braze's Idempotency-Key recipe (5 % twice), dispatched by a host-like
/// pump through lost answers, 5xx after applying and crashed runs; then every dead letter replayed with the CLI's
/// <c>deadletter replay --all --include-ambiguous</c> against a Braze that applies and answers 500 to every other request;
/// then counts, per user, how often Braze applied the counter.
/// </summary>
internal sealed class GuaranteeRun(string name, int webhooks, string linger, int padding)
{
    private const string Route = "counter-increment";
    private readonly StorageCounter _counter = new();

    public async Task<GuaranteeFigures> RunAsync()
    {
        var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        try
        {
            await using var rig = await StartAsync(azurite);
            var accepted = await PostAsync(rig);
            var afterIngress = _counter.Snapshot();
            rig.Braze.Rule = FaultRule;
            var drained = await DrainAsync(rig, crashes: true);
            var ambiguous = await DeadLetterUsersAsync(rig, DeadLetterCodes.AmbiguousOutcome);
            var appliedBefore = Applied(rig);
            var requestsFaults = rig.Braze.Requests.Count;

            // Phase two: Braze applies every request and answers 500 to every other one; the operator replays everything.
            rig.Braze.Rule = (sequence, _) => sequence % 2 == 0 ? new SandboxAnswer.ApplyThenStatus(500) : null;
            var replayed = await ReplayAllAsync(azurite, rig);
            drained &= await DrainAsync(rig, crashes: false);
            return await FiguresAsync(rig, accepted, ambiguous, appliedBefore, replayed, requestsFaults, drained, afterIngress);
        }
        finally
        {
            await azurite.DisposeAsync();
        }
    }

    /// <summary>2 % lost answers after applying, 4 % 503, 3 % 500 and 3 % 504 after applying, 2 % 500/504 not applied.</summary>
    private static SandboxAnswer? FaultRule(int sequence, string body) => (sequence * 7919 % 100) switch
    {
        < 2 => new SandboxAnswer.ApplyThenDrop(),
        < 6 => new SandboxAnswer.Status(503, "{\"message\":\"Service Unavailable\"}"),
        < 9 => new SandboxAnswer.ApplyThenStatus(500),
        < 12 => new SandboxAnswer.ApplyThenStatus(504),
        12 => new SandboxAnswer.Status(500, "{\"message\":\"Internal Server Error\"}"),
        13 => new SandboxAnswer.Status(504, "{\"message\":\"Gateway Timeout\"}"),
        _ => null,
    };

    private Task<DispatchRig> StartAsync(AzuriteFixture azurite) =>
        DispatchRig.StartAsync(azurite, new()
        {
            ["Dispatch:BatchLinger"] = linger,
            ["Dispatch:InPlaceRetryDelay"] = "00:00:00.100",
            ["Dispatch:RetrySchedule"] = "1s,2s,4s",
            ["Braze:RequestTimeout"] = "00:00:03",
            // A crashed run's claim is waited out for the lease: a minute (the least allowed) keeps the run short. The lease
            // must outlive the longest claim hold, three short waits among it (63 s with the default 10 s): the fake Braze
            // here has no rate limit, so a 5-s short wait changes nothing else.
            ["Idempotency:ClaimLease"] = "00:01:00",
            ["Dispatch:ShortRateLimitWait"] = "00:00:05",
            ["Outbox:StorageNetworkTimeout"] = "00:00:05",
        }, useShippedTemplates: true, configure: services =>
        {
            StorageFaults.OnQueues(services, _counter.Queue);
            StorageFaults.OnTables(services, azurite.ConnectionString, _counter.Table);
            StorageFaults.OnBlobs(services, azurite.ConnectionString, Core.Storage.OutboxOptions.DefaultBodyContainer, _counter.Blob);
        });

    private async Task<int> PostAsync(DispatchRig rig)
    {
        var answers = new ConcurrentBag<(int Status, bool Replayed)>();
        var posts = Enumerable.Range(0, webhooks).Concat(Enumerable.Range(0, webhooks).Where(i => i % 20 == 3)).ToList();
        await Parallel.ForEachAsync(posts, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var body = $"{{\"user_id\":\"u-{i}\",\"dispatch_id\":\"dispatch-18\",\"pad\":\"{new string('x', padding)}\"}}";
            var (status, _, response) = await FunctionCall.PostWebhookAsync(rig.Host.Get<WebhookIngress>(), Route, body,
                headers: new Dictionary<string, string> { ["Idempotency-Key"] = $"dispatch-18-{i}" });
            answers.Add((status, response.Headers["Idempotent-Replayed"] == "true"));
        });
        return answers.Count(a => a.Status == 202 && !a.Replayed);
    }

    /// <summary>Pumps until the outbox is empty (deferred copies included); 1 % of first runs "crash" before completing.</summary>
    private static async Task<bool> DrainAsync(DispatchRig rig, bool crashes)
    {
        var pump = new HostQueuePump(rig.Outbox, rig.Dispatcher, TimeSpan.FromSeconds(3),
            crashes ? m => m.DequeueCount == 1 && Math.Abs(m.MessageId.GetHashCode(StringComparison.Ordinal)) % 100 == 0 : null);
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => pump.RunAsync(stop.Token));
        var drained = await Poll.TryUntilAsync(
            async () => (await rig.Outbox.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, TimeSpan.FromMinutes(8), TimeSpan.FromSeconds(1));

        await stop.CancelAsync();
        await running;
        return drained;
    }

    private static async Task<int> ReplayAllAsync(AzuriteFixture azurite, DispatchRig rig)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        await CliApp.RunAsync(["deadletter", "replay", "--all", "--include-ambiguous", "--connection", azurite.ConnectionString, "--queue", rig.Queue],
            new CliConsole(new StringReader(string.Empty), output, errors, Environment.CurrentDirectory));
        return output.ToString().Split('\n').Count(l => l.StartsWith("replayed ", StringComparison.Ordinal));
    }

    private async Task<GuaranteeFigures> FiguresAsync(
        DispatchRig rig, int accepted, HashSet<string> ambiguous, Dictionary<string, long> appliedBefore, int replayed, int requestsFaults, bool drained, StorageCounts afterIngress)
    {
        var applied = Applied(rig);
        var deadUsers = await DeadLetterUsersAsync(rig, null);
        var poison = await rig.Host.Get<DeadLetterStore>().ListAsync(DeadLetterFilter.All, default);
        // A replay is the only declared repeat: each ambiguous dead letter of the first phase was replayed once.
        int Allowed(string user) => 1 + (ambiguous.Contains(user) ? 1 : 0);
        var users = Enumerable.Range(0, webhooks).Select(i => $"u-{i}").ToList();
        var replayRequests = rig.Braze.Requests.Skip(requestsFaults).ToList();
        return new GuaranteeFigures(
            name, webhooks, accepted, ambiguous.Count, ambiguous.Count(u => appliedBefore.GetValueOrDefault(u) > 0), replayed,
            replayRequests.Count(r => r.Status == 500),
            users.Count(u => applied.GetValueOrDefault(u) == 1), users.Count(u => applied.GetValueOrDefault(u) > 1),
            users.Count(u => applied.GetValueOrDefault(u) > Allowed(u)), users.Count(u => applied.GetValueOrDefault(u) > 1 && !ambiguous.Contains(u)),
            users.Count(u => applied.GetValueOrDefault(u) == 0 && !deadUsers.Contains(u)),
            poison.Count, string.Join(", ", poison.GroupBy(p => p.Entry.Reason?.Code ?? "(none)").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}")),
            requestsFaults, replayRequests.Count, drained, afterIngress, _counter.Snapshot() - afterIngress);
    }

    private Dictionary<string, long> Applied(DispatchRig rig) =>
        Enumerable.Range(0, webhooks).Select(i => $"u-{i}").ToDictionary(u => u, u => rig.Braze.Counters.GetValueOrDefault(u + "/message_view_count"));

    /// <summary>The users whose message is on the poison queue (with this reason code, or any).</summary>
    private static async Task<HashSet<string>> DeadLetterUsersAsync(DispatchRig rig, string? code)
    {
        var poison = await rig.Host.Get<DeadLetterStore>().ListAsync(DeadLetterFilter.All, default);
        var users = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in poison.Where(p => code is null || p.Entry.Reason?.Code == code).Select(p => p.Entry))
        {
            var payload = entry.Envelope?.PayloadBlob is { } blob
                ? (await rig.Host.Get<Core.Storage.RelayBlobs>().Container.GetBlobClient(blob).DownloadContentAsync()).Value.Content.ToString()
                : entry.Envelope?.PayloadJson;
            if (payload is not null)
            {
                users.Add(JsonDocument.Parse(payload).RootElement.GetProperty("user_id").GetString()!);
            }
        }

        return users;
    }

    /// <summary>Counts every request each storage service received, retries included, at the transport.</summary>
    private sealed class StorageCounter
    {
        private long _queue;
        private long _table;
        private long _blob;

        public HttpPipelinePolicy Queue => new Counting(() => Interlocked.Increment(ref _queue));

        public HttpPipelinePolicy Table => new Counting(() => Interlocked.Increment(ref _table));

        public HttpPipelinePolicy Blob => new Counting(() => Interlocked.Increment(ref _blob));

        public StorageCounts Snapshot() => new(Interlocked.Read(ref _queue), Interlocked.Read(ref _table), Interlocked.Read(ref _blob));

        private sealed class Counting(Action count) : HttpPipelineSynchronousPolicy
        {
            public override void OnSendingRequest(HttpMessage message) => count();
        }
    }
}
