using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>
/// Where a message is, from its id, against Azurite: the trace records, the front of the outbox and the poison queue,
/// each read when it can be, with a note for what was not.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class MessageTraceTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task TraceAsync_NotAnIdOfThisRelay_SearchesOnlyTheQueuesAndSaysSo()
    {
        await using var rig = await StartAsync(tracing: true);

        var report = await Trace(rig).TraceAsync("order-17", default);

        Assert.Equal((MessageState.Unknown, (DateTimeOffset?)null), (report.State, report.ReceivedAt));
        Assert.Contains(report.Notes, n => n.StartsWith("'order-17' is not a message id of this relay", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TraceAsync_TracingOffAndMessageOnTheOutbox_SaysTheRecordsAreOffAndFindsItQueued()
    {
        await using var rig = await StartAsync(tracing: false);
        var envelope = V7(rig);
        await rig.Outbox.SendMessageAsync(new BinaryData(EnvelopeCodec.Serialize(envelope)));

        var report = await Trace(rig).TraceAsync(envelope.Id, default);

        Assert.Equal((MessageState.Queued, true), (report.State, report.SeenOnOutbox));
        Assert.Contains(report.Notes, n => n.StartsWith("trace records are off", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TraceAsync_Recorded_ReadsTheHistoryAndTakesTheReceiptTimeFromTheId()
    {
        await using var rig = await StartAsync(tracing: true);
        var envelope = V7(rig);
        var at = rig.Time.GetUtcNow();
        await rig.Host.Get<TraceStore>().WriteAsync([new TraceRecord(envelope.Id, TraceEvent.Delivered, at) { Status = 201, BatchSize = 1 }], default);

        var report = await Trace(rig).TraceAsync(envelope.Id, default);

        Assert.Equal(MessageState.Delivered, report.State);
        Assert.Equal(TraceEvent.Delivered, Assert.Single(report.History).Event);
        Assert.Equal(TraceKeys.TimeOf(TraceKeys.Normalize(envelope.Id)!), report.ReceivedAt);
        Assert.Empty(report.Notes);
    }

    [Fact]
    public async Task TraceAsync_OnThePoisonQueue_IsDeadLetteredWhateverTheRecordsSay()
    {
        await using var rig = await StartAsync(tracing: true);
        var envelope = V7(rig);
        await rig.Host.Get<TraceStore>().WriteAsync([new TraceRecord(envelope.Id, TraceEvent.Delivered, rig.Time.GetUtcNow()) { Status = 201 }], default);
        await rig.Host.Get<DeadLetterWriter>().DeadLetterAsync(envelope, new DeadLetterCause(DeadLetterCodes.RetriesExhausted, "test"));

        var report = await Trace(rig).TraceAsync(envelope.Id, default);

        Assert.Equal(MessageState.DeadLettered, report.State);
        Assert.Equal(envelope.Id, report.DeadLetter?.Entry.Envelope?.Id);
    }

    private Task<DispatchRig> StartAsync(bool tracing) =>
        DispatchRig.StartAsync(azurite, new()
        {
            ["Trace:Enabled"] = tracing ? "true" : "false",
            ["Trace:TablePrefix"] = "trace" + Guid.NewGuid().ToString("N")[..8],
        });

    private static WebhookEnvelope V7(DispatchRig rig) => rig.Envelope("{\"user_id\":\"u-1\"}") with { Id = Guid.CreateVersion7(rig.Time.GetUtcNow()).ToString("N") };

    private static IMessageTrace Trace(DispatchRig rig) => rig.Host.Get<IMessageTrace>();
}
