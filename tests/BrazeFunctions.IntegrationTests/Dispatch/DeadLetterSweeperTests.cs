using System.Diagnostics.Metrics;
using System.Text.Json;
using Azure.Storage.Queues.Models;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>The poison sweep timer's work against Azurite: every message ends with a reason and nothing on the poison queue expires.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeadLetterSweeperTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task SweepAsync_HostCopy_BecomesANeverExpiringHostPoisonDeadLetterAndTheCopyIsDeleted()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var crashed = rig.Envelope("{\"user_id\":\"u-1\"}", attempt: 1, route: "counter-increment");
        await rig.Poison.CreateIfNotExistsAsync();
        // The host's own copy: the bare envelope with storage's default 7-day time-to-live.
        var copy = (await rig.Poison.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(crashed)))).Value;
        using var deadLettered = new MetricCollector<long>(rig.Host.Get<IMeterFactory>(), RelayMetrics.MeterName, "relay.deliveries.dead_lettered");

        var result = await rig.Host.Get<DeadLetterSweeper>().SweepAsync(default);

        Assert.Equal(1, result.Rewritten);
        var stored = Assert.Single(await PeekAllAsync(rig));
        Assert.NotEqual(copy.MessageId, stored.MessageId);
        Assert.Equal(9999, stored.ExpiresOn!.Value.Year);
        var entry = DeadLetterCodec.Parse(stored.Body.ToMemory());
        Assert.Equal(PoisonKind.DeadLetter, entry.Kind);
        Assert.Equal(crashed, entry.Envelope);
        Assert.Equal(DeadLetterCodes.HostPoison, entry.Reason!.Code);
        Assert.Equal((crashed.Id, crashed.Route, crashed.ReceivedAt, "default"), (entry.Reason.MessageId, entry.Reason.Route, entry.Reason.ReceivedAt!.Value, entry.Reason.Workspace));
        Assert.Contains("maxDequeueCount", entry.Reason.Detail, StringComparison.Ordinal);
        var measurement = Assert.Single(deadLettered.GetMeasurementSnapshot());
        Assert.Equal(("counter-increment", "host_poison"), (measurement.Tags["route"], measurement.Tags["reason"]));
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 4010);
    }

    [Fact]
    public async Task SweepAsync_UnreadableMessages_BecomeInvalidEnvelopeDeadLettersKeepingTheRawTextAndNothingExpires()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var sent = await PoisonQueueKit.SendUnreadableAsync(rig);
        var sweeper = rig.Host.Get<DeadLetterSweeper>();

        var first = await sweeper.SweepAsync(default);
        var second = await sweeper.SweepAsync(default);

        Assert.Equal(sent.Count, first.Rewritten);
        Assert.Equal(0, second.Rewritten);
        var stored = await PeekAllAsync(rig);
        Assert.Equal(sent.Count, stored.Count);
        Assert.All(stored, m => Assert.Equal(9999, m.ExpiresOn!.Value.Year));
        var rewritten = stored.Select(m => DeadLetterCodec.Parse(m.Body.ToMemory())).Where(e => e.Kind == PoisonKind.DeadLetter).ToList();
        var raws = stored.Where(m => DeadLetterCodec.Parse(m.Body.ToMemory()).Kind == PoisonKind.DeadLetter).Select(m => RawMessage(m.Body)).ToList();
        Assert.All(rewritten, e => Assert.Equal(DeadLetterCodes.InvalidEnvelope, e.Reason!.Code));
        // Everything but the huge one fits with its reason; the huge one is kept byte for byte, now without expiry.
        Assert.Equal(new[] { sent["garbage"], sent["plain"], sent["truncated"], sent["wrong-kind"] }.Order(StringComparer.Ordinal), raws.Order(StringComparer.Ordinal));
        Assert.Contains(rewritten, e => e.Reason!.Detail!.Contains("'attempt' must be a number", StringComparison.Ordinal));
        Assert.Contains(rewritten, e => e.Reason!.Detail!.Contains("not Base64-encoded", StringComparison.Ordinal));
        Assert.Contains(stored, m => m.Body.ToString() == sent["huge"]);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 4011);
    }

    [Fact]
    public async Task SweepAsync_RelayDeadLettersAndOversizedBareDeadLetters_AreLeftAlone()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"bad\"}"));
        await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope("{\"user_id\":\"a\"}")), 1, default);
        await rig.Poison.CreateIfNotExistsAsync();
        // The dispatcher's form of a dead letter too large for its reason (event 3012): the bare envelope, never expiring.
        await rig.Poison.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(rig.Envelope("{\"user_id\":\"b\"}"))), null, TimeSpan.FromSeconds(-1));
        var before = (await PeekAllAsync(rig)).Select(m => m.MessageId).Order(StringComparer.Ordinal).ToList();

        var result = await rig.Host.Get<DeadLetterSweeper>().SweepAsync(default);

        Assert.Equal((2, 0), (result.Scanned, result.Rewritten));
        Assert.Equal(before, (await PeekAllAsync(rig)).Select(m => m.MessageId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task SweepAsync_StorageDown_LogsAndReturns()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = AzuriteFixture.UnreachableConnectionString(FreePort.Next()),
            ["Outbox:StorageMaxRetries"] = "0",
        });

        var result = await rig.Host.Get<DeadLetterSweeper>().SweepAsync(default);

        Assert.Equal(0, result.Scanned);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 4014);
    }

    private static async Task<List<PeekedMessage>> PeekAllAsync(DispatchRig rig) => [.. (await rig.Poison.PeekMessagesAsync(32)).Value];

    private static string RawMessage(BinaryData deadLetter)
    {
        using var document = JsonDocument.Parse(deadLetter.ToMemory());
        return document.RootElement.GetProperty("rawMessage").GetString()!;
    }
}
