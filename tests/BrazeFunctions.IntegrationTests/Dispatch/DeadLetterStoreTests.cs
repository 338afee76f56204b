using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>Listing and replaying the poison queue, with everything that can be on it: dead letters, host copies and garbage.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeadLetterStoreTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Replay_ById_DeadLetterGoesBackWithAttemptZeroAFreshClockAndIsDelivered()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"Invalid 'external_id'\"}"));
        var dispatcher = rig.Host.Get<OutboxDispatcher>();
        var envelope = rig.Envelope("{\"user_id\":\"u-7\",\"plan\":\"gold\"}", attempt: 3);
        Assert.Equal(DispatchOutcome.DeadLettered, (await dispatcher.DispatchAsync(DispatchRig.Message(envelope), 1, default)).Outcome);
        var store = rig.Host.Get<DeadLetterStore>();
        var before = rig.Time.GetUtcNow();

        var result = await store.ReplayAsync(new DeadLetterFilter(Id: envelope.Id), new ReplayOptions(), null, default);

        Assert.Equal([envelope.Id], result.Replayed.Select(r => r.MessageId));
        Assert.Empty(await store.ListAsync(DeadLetterFilter.All, default));
        var queued = Assert.Single(await rig.ReceiveAllAsync(rig.Outbox));
        var replayed = EnvelopeCodec.Deserialize(queued.Body);
        Assert.True(replayed.ReplayedAt >= before);
        Assert.Equal(envelope with { Attempt = 0, ReplayedAt = replayed.ReplayedAt, PriorRecordsAt = envelope.ReceivedAt }, replayed);
        Assert.Equal(envelope.ReceivedAt, replayed.ReceivedAt);

        var delivery = await dispatcher.DispatchAsync(queued.Body.ToString(), 1, default);

        Assert.Equal(DispatchOutcome.Delivered, delivery.Outcome);
        Assert.Equal([400, 201], rig.Braze.Requests.Select(r => r.Status));
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3013);
    }

    [Fact]
    public async Task List_BothShapesAndFilters_ReadsReasonsAndLeavesEverythingOnTheQueue()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var dispatcher = rig.Host.Get<OutboxDispatcher>();
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"bad\"}"), new SandboxAnswer.Status(404, "{\"message\":\"Not Found\"}"));
        await dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope("{\"user_id\":\"a\"}")), 1, default);
        await dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope("{\"user_id\":\"b\"}", route: "trigger-canvas")), 1, default);
        // What the Functions host moves after maxDequeueCount crashes: the bare envelope.
        var crashed = rig.Envelope("{\"user_id\":\"c\"}", attempt: 1, route: "trigger-canvas");
        await rig.Poison.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(crashed)));
        await rig.Poison.SendMessageAsync("not json at all");
        var store = rig.Host.Get<DeadLetterStore>();

        var all = await store.ListAsync(DeadLetterFilter.All, default);
        var canvas = await store.ListAsync(new DeadLetterFilter(Route: "trigger-canvas"), default);
        var status400 = await store.ListAsync(new DeadLetterFilter(Status: 400), default);

        Assert.Equal(4, all.Count);
        Assert.Equal(2, all.Count(i => i.Entry.Kind == PoisonKind.DeadLetter));
        Assert.Equal(crashed.Id, Assert.Single(all, i => i.Entry.Kind == PoisonKind.HostPoison).Entry.Envelope!.Id);
        Assert.Single(all, i => i.Entry.Kind == PoisonKind.Unreadable);
        Assert.Equal(2, canvas.Count);
        Assert.Equal("attribute-from-event", Assert.Single(status400).Entry.Reason!.Route);
        // Listing is read-only: every message is visible again at once.
        Assert.Equal(4, (await rig.Poison.PeekMessagesAsync(32)).Value.Length);
    }

    [Fact]
    public async Task ListAndReplay_GarbageTruncatedWrongKindHugeAndPlainText_AreReportedSkippedAndNeverFatal()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var unreadable = await PoisonQueueKit.SendUnreadableAsync(rig);
        var good = await PoisonQueueKit.SendDeadLetterAsync(rig, "http_400");
        var store = rig.Host.Get<DeadLetterStore>();

        var listed = await store.ListAsync(DeadLetterFilter.All, default);
        var result = await store.ReplayAsync(DeadLetterFilter.All, new ReplayOptions(), null, default);

        Assert.Equal(unreadable.Count + 1, listed.Count);
        Assert.Equal(unreadable.Count, listed.Count(i => i.Entry.Envelope is null));
        Assert.Contains(listed, i => i.Entry.Problem!.Contains("'attempt' must be a number", StringComparison.Ordinal));
        Assert.Contains(listed, i => i.Entry.Problem!.Contains("not Base64-encoded", StringComparison.Ordinal));
        Assert.Equal([good.Id], result.Replayed.Select(r => r.MessageId));
        Assert.Equal(unreadable.Count, result.Skipped.Count);
        Assert.All(result.Skipped, s => Assert.False(string.IsNullOrWhiteSpace(s.Problem)));
        Assert.Null(result.StorageProblem);
        Assert.Equal(unreadable.Count, (await store.ListAsync(DeadLetterFilter.All, default)).Count);
    }

    [Fact]
    public async Task Replay_ByRoute_ReplaysHostPoisonAndDeadLettersButNeverUnreadableOnes()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.Status(404, "{\"message\":\"Not Found\"}"));
        await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope("{\"user_id\":\"b\"}", route: "trigger-canvas")), 1, default);
        var crashed = rig.Envelope("{\"user_id\":\"c\"}", attempt: 2, route: "trigger-canvas");
        await rig.Poison.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(crashed)));
        var other = rig.Envelope("{\"user_id\":\"d\"}");
        await rig.Poison.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(other)));
        await rig.Poison.SendMessageAsync("garbage");
        var store = rig.Host.Get<DeadLetterStore>();

        var byRoute = await store.ReplayAsync(new DeadLetterFilter(Route: "trigger-canvas"), new ReplayOptions(), null, default);
        var everything = await store.ReplayAsync(DeadLetterFilter.All, new ReplayOptions(), null, default);

        Assert.Equal(2, byRoute.Replayed.Count);
        Assert.Contains(crashed.Id, byRoute.Replayed.Select(r => r.MessageId));
        Assert.Equal([other.Id], everything.Replayed.Select(r => r.MessageId));
        Assert.Single(everything.Skipped);
        var left = Assert.Single(await store.ListAsync(DeadLetterFilter.All, default));
        Assert.Equal(PoisonKind.Unreadable, left.Entry.Kind);
        var outbox = await rig.ReceiveAllAsync(rig.Outbox);
        Assert.Equal(3, outbox.Length);
        Assert.All(outbox, m => Assert.Equal(0, EnvelopeCodec.Deserialize(m.Body).Attempt));
    }

    [Fact]
    public async Task Replay_DryRun_ReportsWhatWouldBeReplayedAndChangesNothing()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var first = await PoisonQueueKit.SendDeadLetterAsync(rig, "http_400");
        var second = await PoisonQueueKit.SendDeadLetterAsync(rig, "retries_exhausted");
        await PoisonQueueKit.SendDeadLetterAsync(rig, DeadLetterCodes.AmbiguousOutcome);
        var store = rig.Host.Get<DeadLetterStore>();
        var ids = (await rig.Poison.PeekMessagesAsync(32)).Value.Select(m => m.MessageId).Order(StringComparer.Ordinal).ToList();

        var result = await store.ReplayAsync(DeadLetterFilter.All, new ReplayOptions(DryRun: true), null, default);

        Assert.True(result.DryRun);
        Assert.Equal(new[] { first.Id, second.Id }.Order(StringComparer.Ordinal), result.Replayed.Select(r => r.MessageId).Order(StringComparer.Ordinal));
        Assert.Contains("--include-ambiguous", Assert.Single(result.Skipped).Problem, StringComparison.Ordinal);
        Assert.Empty((await rig.Outbox.PeekMessagesAsync(32)).Value);
        Assert.Equal(ids, (await rig.Poison.PeekMessagesAsync(32)).Value.Select(m => m.MessageId).Order(StringComparer.Ordinal));
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 7006);
    }

    [Fact]
    public async Task Replay_AmbiguousOutcome_OnlyWithIncludeAmbiguousAndThenWithTheClaimOverridden()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var ambiguous = await PoisonQueueKit.SendDeadLetterAsync(rig, DeadLetterCodes.AmbiguousOutcome);
        var store = rig.Host.Get<DeadLetterStore>();

        var without = await store.ReplayAsync(DeadLetterFilter.All, new ReplayOptions(), null, default);
        var with = await store.ReplayAsync(DeadLetterFilter.All, new ReplayOptions(IncludeAmbiguous: true), null, default);

        Assert.Empty(without.Replayed);
        Assert.Equal(ambiguous.Id, Assert.Single(without.Skipped).MessageId);
        var replayed = Assert.Single(with.Replayed);
        Assert.True(replayed.OverrideClaim);
        var queued = EnvelopeCodec.Deserialize(Assert.Single(await rig.ReceiveAllAsync(rig.Outbox)).Body);
        Assert.True(queued.OverrideClaim);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 7001);
    }

    [Fact]
    public async Task Replay_WorkspaceChanged_RefusedNamingBothUnlessForced()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        // The shipped attribute-from-event template sends to the default workspace.
        var moved = await PoisonQueueKit.SendDeadLetterAsync(rig, "http_401", workspace: "brandus");
        var store = rig.Host.Get<DeadLetterStore>();

        var refused = await store.ReplayAsync(DeadLetterFilter.All, new ReplayOptions(), null, default);
        var forced = await store.ReplayAsync(DeadLetterFilter.All, new ReplayOptions(Force: true), null, default);

        var skipped = Assert.Single(refused.Skipped);
        Assert.Contains("'brandus'", skipped.Problem, StringComparison.Ordinal);
        Assert.Contains("'default'", skipped.Problem, StringComparison.Ordinal);
        Assert.Equal(moved.Id, Assert.Single(forced.Replayed).MessageId);
    }

    [Fact]
    public async Task Replay_MoreThanOnePage_ReplaysEveryMessagePageByPageWithProgress()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        await rig.Poison.CreateIfNotExistsAsync();
        var ids = new List<string>();
        for (var i = 0; i < 70; i++)
        {
            var envelope = rig.Envelope("{\"user_id\":\"u-" + i + "\"}");
            ids.Add(envelope.Id);
            await rig.Poison.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(envelope)));
        }

        var pages = new List<ReplayProgress>();
        var result = await rig.Host.Get<DeadLetterStore>().ReplayAsync(DeadLetterFilter.All, new ReplayOptions(), new ListProgress(pages), default);

        Assert.Equal(ids.Order(StringComparer.Ordinal), result.Replayed.Select(r => r.MessageId).Order(StringComparer.Ordinal));
        Assert.True(pages.Count >= 3, $"expected at least 3 pages of at most 32, got {pages.Count}");
        Assert.Equal(Enumerable.Range(1, pages.Count), pages.Select(p => p.Page));
        Assert.All(pages, p => Assert.True(p.Replayed <= p.Page * 32));
        Assert.Equal(70, pages[^1].Replayed);
        Assert.Equal(70, (await rig.Outbox.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.Equal(0, (await rig.Poison.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    private sealed class ListProgress(List<ReplayProgress> pages) : IProgress<ReplayProgress>
    {
        public void Report(ReplayProgress value) => pages.Add(value);
    }
}
