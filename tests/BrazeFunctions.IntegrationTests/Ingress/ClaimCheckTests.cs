using Azure.Core;
using Azure.Storage.Blobs;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.Sandbox;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Ingress;

/// <summary>
/// The claim-check under Azurite (queues and blobs): a webhook too large for a queue message is kept in a blob before the
/// 202 and read back by the dispatcher; the blob lives until its message ends, a dead letter keeps it, and an orphan (the
/// enqueue failed) is removed after a day.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class ClaimCheckTests(AzuriteFixture azurite)
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static readonly DateTimeOffset Start = new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero).AddTicks(1_234_567);

    [Fact]
    public async Task Post_BodiesAroundTheLimits_InlineUpToTheQueueBudgetKeptInABlobAboveAndRefusedPastOneMebibyte()
    {
        await using var rig = await StartAsync(new FakeTimeProvider(Start));
        var largestInline = LargestInlinePadding(rig);

        var underBudget = await PostAsync(rig, Body("u-1", largestInline));
        var overBudget = await PostAsync(rig, Body("u-2", largestInline + 1));
        var oneMebibyte = await PostAsync(rig, Body("u-3", IngressOptions.DefaultMaxBodyBytes - Body("u-3", 0).Length));
        var tooLarge = await PostAsync(rig, Body("u-4", IngressOptions.DefaultMaxBodyBytes - Body("u-4", 0).Length + 1));

        Assert.Equal([202, 202, 202, 413], new[] { underBudget.Status, overBudget.Status, oneMebibyte.Status, tooLarge.Status });
        var queued = (await rig.ReceiveAllAsync(rig.Outbox)).Select(m => EnvelopeCodec.Deserialize(m.Body)).ToDictionary(e => e.Id);
        Assert.Equal(3, queued.Count);
        Assert.Null(queued[underBudget.Id!].PayloadBlob);
        Assert.Equal(Body("u-1", largestInline), queued[underBudget.Id!].PayloadJson);
        foreach (var (id, user, padding) in new[] { (overBudget.Id!, "u-2", largestInline + 1), (oneMebibyte.Id!, "u-3", IngressOptions.DefaultMaxBodyBytes - Body("u-3", 0).Length) })
        {
            Assert.Equal(id, queued[id].PayloadBlob);
            var blob = (await Container(rig).GetBlobClient(id).DownloadContentAsync()).Value;
            Assert.Equal(Body(user, padding), blob.Content.ToString());
            Assert.Equal(MessageBodyStore.Queued, blob.Details.Metadata[MessageBodyStore.StateKey]);
        }
    }

    [Fact]
    public async Task Post_StorageFailsBetweenTheBlobWriteAndTheEnqueue_Answers503AndTheOrphanIsRemovedAfterADay()
    {
        var clock = new FakeTimeProvider(Start);
        var container = NewContainer();
        var queueDown = new FailPolicy(m => m.Request.Method == RequestMethod.Post && m.Request.Uri.Path.Contains("/messages", StringComparison.Ordinal)) { Armed = false };
        var deleteFails = new FailPolicy(m => m.Request.Method == RequestMethod.Delete) { Armed = false };
        await using var rig = await StartAsync(clock, container, services =>
        {
            StorageFaults.OnQueues(services, queueDown);
            StorageFaults.OnBlobs(services, azurite.ConnectionString, container, deleteFails);
        });
        var kept = await PostAsync(rig, Body("u-1", 60_000));
        queueDown.Armed = true;
        var removedAtOnce = await PostAsync(rig, Body("u-2", 60_000));
        deleteFails.Armed = true;
        var orphaned = await PostAsync(rig, Body("u-3", 60_000));
        (queueDown.Armed, deleteFails.Armed) = (false, false);
        var cleanup = rig.Host.Get<IMessageBodyCleanup>();

        var sameDay = await cleanup.RunAsync(default);
        clock.Advance(TimeSpan.FromHours(25));
        var nextDay = await cleanup.RunAsync(default);

        Assert.Equal([202, 503, 503], new[] { kept.Status, removedAtOnce.Status, orphaned.Status });
        Assert.Equal((0, 0), (sameDay.Orphans, sameDay.Ended));
        Assert.Equal(1, nextDay.Orphans);
        // The queued message's body stays: only a message's end (or an operator) removes it.
        Assert.Equal([kept.Id!], await BlobNamesAsync(rig));
    }

    [Fact]
    public async Task Dispatch_MessageWithItsBodyInABlob_IsDeliveredFromTheBlobWhichIsThenEmptiedAndARepeatIsADuplicate()
    {
        await using var rig = await StartAsync(new FakeTimeProvider(Start));
        var posted = await PostAsync(rig, Body("u-big", 200_000));
        var message = Assert.Single(await rig.ReceiveAllAsync(rig.Outbox)).Body.ToString();

        var delivered = await rig.Dispatcher.DispatchAsync(message, 1, default);
        var repeat = await rig.Dispatcher.DispatchAsync(message, 2, default);

        Assert.Equal(DispatchOutcome.Delivered, delivered.Outcome);
        Assert.Contains("\"u-big\"", Assert.Single(rig.Braze.Requests).Body, StringComparison.Ordinal);
        var blob = (await Container(rig).GetBlobClient(posted.Id).DownloadContentAsync()).Value;
        Assert.Equal(MessageBodyStore.Ended, blob.Details.Metadata[MessageBodyStore.StateKey]);
        Assert.Equal(0, blob.Content.ToMemory().Length);
        Assert.Equal(DispatchOutcome.Duplicate, repeat.Outcome);
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 6006);
    }

    [Fact]
    public async Task Replay_DeadLetterHoldingABlob_KeepsTheBlobUntilTheReplayedMessageIsDelivered()
    {
        await using var rig = await StartAsync(new FakeTimeProvider(Start));
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"Invalid 'external_id'\"}"));
        var posted = await PostAsync(rig, Body("u-big", 200_000));
        var dead = await rig.Dispatcher.DispatchAsync(Assert.Single(await rig.ReceiveAllAsync(rig.Outbox)).Body.ToString(), 1, default);
        var keptWhileDead = (await Container(rig).GetBlobClient(posted.Id).DownloadContentAsync()).Value;

        var replay = await rig.Host.Get<DeadLetterStore>().ReplayAsync(new DeadLetterFilter(Id: posted.Id), new ReplayOptions(), null, default);
        var delivered = await rig.Dispatcher.DispatchAsync(Assert.Single(await rig.ReceiveAllAsync(rig.Outbox)).Body.ToString(), 1, default);

        Assert.Equal(("http_400", DispatchOutcome.Delivered), (dead.Reason, delivered.Outcome));
        Assert.Equal(Body("u-big", 200_000), keptWhileDead.Content.ToString());
        Assert.Single(replay.Replayed);
        Assert.Equal(2, rig.Braze.Requests.Count(r => r.Body.Contains("\"u-big\"", StringComparison.Ordinal)));
        var ended = (await Container(rig).GetBlobClient(posted.Id).GetPropertiesAsync()).Value;
        Assert.Equal(MessageBodyStore.Ended, ended.Metadata[MessageBodyStore.StateKey]);
    }

    private static string Body(string user, int padding) => "{\"user_id\":\"" + user + "\",\"plan\":\"gold\",\"pad\":\"" + new string('x', padding) + "\"}";

    /// <summary>The most padding a body may carry and still travel inline, measured on an envelope like the ingress builds.</summary>
    private static int LargestInlinePadding(DispatchRig rig)
    {
        var envelope = new WebhookEnvelope(WebhookEnvelope.CurrentVersion, new string('0', 32), "attribute-from-event", rig.Time.GetUtcNow(), Body("u-1", 0), TraceParent, null, 0);
        var overhead = EnvelopeCodec.Serialize(envelope).Length;
        var padding = QueueMessageLimits.MaxBytesBeforeBase64 - EnvelopeHeadroom.Bytes - overhead;
        Assert.True(WebhookIngress.FitsInline(EnvelopeCodec.Serialize(envelope with { PayloadJson = Body("u-1", padding) }).Length));
        Assert.False(WebhookIngress.FitsInline(EnvelopeCodec.Serialize(envelope with { PayloadJson = Body("u-1", padding + 1) }).Length));
        return padding;
    }

    private static async Task<(int Status, string? Id)> PostAsync(DispatchRig rig, string body)
    {
        var (status, reply, _) = await FunctionCall.PostWebhookAsync(rig.Host.Get<WebhookIngress>(), "attribute-from-event", body,
            headers: new Dictionary<string, string> { ["traceparent"] = TraceParent });
        return (status, status == StatusCodes.Status202Accepted ? reply.GetProperty("id").GetString() : null);
    }

    private static BlobContainerClient Container(DispatchRig rig) => rig.Host.Get<RelayBlobs>().Container;

    private static async Task<List<string>> BlobNamesAsync(DispatchRig rig)
    {
        var names = new List<string>();
        await foreach (var blob in Container(rig).GetBlobsAsync())
        {
            names.Add(blob.Name);
        }

        return names;
    }

    private static string NewContainer() => "bodies-" + Guid.NewGuid().ToString("N")[..12];

    private Task<DispatchRig> StartAsync(TimeProvider time, string? container = null, Action<IServiceCollection>? configure = null) =>
        DispatchRig.StartAsync(azurite, new() { ["Outbox:BodyContainer"] = container ?? NewContainer() }, time: time, configure: configure);
}
