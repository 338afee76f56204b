using Azure.Data.Tables;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Idempotency;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Sandbox;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Idempotency;

/// <summary>
/// What a replay of an ambiguous dead letter may do, end to end through the dead-letter store and the dispatcher: apply the
/// counter once more, never more; let one of two live copies send; and never re-create a dedupe table the cleanup dropped.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class ReplayGuaranteeTests(AzuriteFixture azurite)
{
    private const string Counter = "{\"user_id\":\"u-1\",\"counter\":\"visits\"}";

    [Fact]
    public async Task Replay_AmbiguousAgain_IsAppliedOnceByTheReplayAndDeadLetteredAgain()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.ApplyThenDrop(), new SandboxAnswer.ApplyThenStatus(500), new SandboxAnswer.ApplyThenStatus(500));

        var lost = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(Counter)), 1, default);
        var replayed = await ReplayAndDispatchAsync(rig);
        var replayedAgain = await ReplayAndDispatchAsync(rig);

        Assert.Equal("ambiguous_outcome", lost.Reason);
        // Each replay sent once (no in-place resend, no take-over on the schedule) and ended ambiguous again.
        Assert.Equal(("ambiguous_outcome", "ambiguous_outcome"), (replayed.Reason, replayedAgain.Reason));
        Assert.Equal(3, rig.Braze.Requests.Count);
        Assert.Equal(3, rig.Braze.Counters["u-1/visits"]);
        Assert.Single(await rig.Host.Get<DeadLetterStore>().ListAsync(DeadLetterFilter.All, default));
    }

    [Fact]
    public async Task Replay_TwoLiveCopiesOfOneReplay_OnlyOneSends()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.ApplyThenDrop());
        await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(Counter)), 1, default);
        await rig.Host.Get<DeadLetterStore>().ReplayAsync(DeadLetterFilter.All, new ReplayOptions(IncludeAmbiguous: true), null, default);
        var copy = Assert.Single(await rig.ReceiveAllAsync(rig.Outbox)).Body.ToString();

        // The replayed message and a second copy of it (a redelivery beside a deferral copy) run at once.
        var results = await Task.WhenAll(rig.Dispatcher.DispatchAsync(copy, 1, default), rig.Dispatcher.DispatchAsync(copy, 2, default));

        Assert.Single(results, r => r.Outcome == DispatchOutcome.Delivered);
        Assert.Single(results, r => r.Outcome == DispatchOutcome.Duplicate || r.Reason == "claim_conflict");
        Assert.Equal(2, rig.Braze.Counters["u-1/visits"]);
    }

    [Fact]
    public async Task Replay_DeadLetterOlderThanItsRecords_NeedsForceAndNeverRecreatesTheDroppedTable()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 10, 0, 0, TimeSpan.Zero));
        await using var rig = await DispatchRig.StartAsync(azurite, time: clock);
        var old = await PoisonQueueKit.SendDeadLetterAsync(rig, DeadLetterCodes.RetriesExhausted);
        clock.Advance(TimeSpan.FromDays(20));
        var store = rig.Host.Get<DeadLetterStore>();

        var refused = await store.ReplayAsync(DeadLetterFilter.All, new ReplayOptions(), null, default);
        var forced = await store.ReplayAsync(DeadLetterFilter.All, new ReplayOptions(Force: true), null, default);
        var delivered = await rig.Dispatcher.DispatchAsync(Assert.Single(await rig.ReceiveAllAsync(rig.Outbox)).Body.ToString(), 1, default);

        Assert.Contains("--force", Assert.Single(refused.Skipped).Problem, StringComparison.Ordinal);
        Assert.Equal([old.Id], forced.Replayed.Select(r => r.MessageId));
        Assert.Equal(DispatchOutcome.Delivered, delivered.Outcome);
        var records = rig.Host.Get<IdempotencyStore>();
        var tables = await TableNamesAsync(records.TableName(new DateTime(2026, 11, 1)), records.TableName(clock.GetUtcNow().UtcDateTime.Date));
        Assert.Equal([records.TableName(clock.GetUtcNow().UtcDateTime.Date)], tables);
    }

    [Fact]
    public async Task Dispatch_KeyOf500CharactersBehindItsRoute_IsClaimedWithinTheTableKeyLimit()
    {
        var limit = new TableKeyLimitPolicy();
        await using var rig = await DispatchRig.StartAsync(azurite, configure: s => StorageFaults.OnTables(s, azurite.ConnectionString, limit));
        var payload = "{\"user_id\":\"u-1\",\"counter\":\"visits\",\"key\":\"" + new string('k', 500) + "\"}";

        var first = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(payload)), 1, default);
        var repeat = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(payload)), 1, default);

        Assert.Equal((DispatchOutcome.Delivered, DispatchOutcome.Duplicate), (first.Outcome, repeat.Outcome));
        Assert.Equal(0, limit.Refused);
    }

    [Fact]
    public async Task Dispatch_503UnderTheDeadLetterPolicy_CountsAsNotAppliedAndIsRetried()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.Status(503, "{\"message\":\"Service Unavailable\"}"));

        var result = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(Counter)), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        Assert.Equal([503, 201], rig.Braze.Requests.Select(r => r.Status));
        Assert.Equal(1, rig.Braze.Counters["u-1/visits"]);
    }

    private static async Task<DispatchResult> ReplayAndDispatchAsync(DispatchRig rig)
    {
        var replay = await rig.Host.Get<DeadLetterStore>().ReplayAsync(DeadLetterFilter.All, new ReplayOptions(IncludeAmbiguous: true), null, default);
        Assert.Single(replay.Replayed);
        return await rig.Dispatcher.DispatchAsync(Assert.Single(await rig.ReceiveAllAsync(rig.Outbox)).Body.ToString(), 1, default);
    }

    private async Task<List<string>> TableNamesAsync(params string[] names)
    {
        var found = new List<string>();
        await foreach (var table in new TableServiceClient(azurite.ConnectionString).QueryAsync())
        {
            if (names.Contains(table.Name))
            {
                found.Add(table.Name);
            }
        }

        return found;
    }
}
