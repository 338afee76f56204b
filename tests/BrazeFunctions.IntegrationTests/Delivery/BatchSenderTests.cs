using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Sandbox;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Delivery;

/// <summary>
/// BatchSender's decisions other than pacing, on batches handed to it directly: a refused merge singles out the objects
/// Braze named, or is split in halves within its budget, or lowers the object cap; an unknown outcome ends the items that
/// may not repeat and resends the others.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class BatchSenderTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task SendAsync_MergeRefusedNamingOneObject_RefusesItsItemAndResendsTheRest()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var items = Attributes(rig, 3);
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"Invalid request\",\"errors\":[{\"type\":\"bad plan\",\"input_array\":\"attributes\",\"index\":1}]}"));

        await rig.Host.Get<BatchSender>().SendAsync(items, await rig.LeaseAsync(items[0]), default);

        var refused = Assert.IsType<DeliveryReport.Refused>(await items[1].Report);
        Assert.Equal("bad plan", Assert.Single(refused.Errors).Type);
        Assert.IsType<DeliveryReport.Accepted>(await items[0].Report);
        Assert.IsType<DeliveryReport.Accepted>(await items[2].Report);
        Assert.Equal(2, rig.Braze.Requests.Count);
        Assert.DoesNotContain("\"u-1\"", rig.Braze.Requests[1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendAsync_MergeRefusedWithoutNames_IsSplitInHalves()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var items = Attributes(rig, 4);
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"Invalid request\"}"));

        await rig.Host.Get<BatchSender>().SendAsync(items, await rig.LeaseAsync(items[0]), default);

        foreach (var item in items)
        {
            Assert.IsType<DeliveryReport.Accepted>(await item.Report);
        }

        Assert.Equal([400, 201, 201], rig.Braze.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task SendAsync_NoSplitBudgetLeft_HandsEveryItemBackUnresolved()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:MaxSplitRequests"] = "0" });
        var items = Attributes(rig, 2);
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"Invalid request\"}"));

        await rig.Host.Get<BatchSender>().SendAsync(items, await rig.LeaseAsync(items[0]), default);

        Assert.All(await Task.WhenAll(items.Select(i => i.Report)), r => Assert.IsType<DeliveryReport.SplitUnresolved>(r));
        Assert.Single(rig.Braze.Requests);
    }

    [Fact]
    public async Task SendAsync_MaxInputLengthExceeded_LowersTheCapAndSendsTheHalves()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        rig.Braze.UsersTrackObjectCap = 2;
        var items = Attributes(rig, 4);

        await rig.Host.Get<BatchSender>().SendAsync(items, await rig.LeaseAsync(items[0]), default);

        Assert.All(await Task.WhenAll(items.Select(i => i.Report)), r => Assert.IsType<DeliveryReport.Accepted>(r));
        Assert.Equal([400, 201, 201], rig.Braze.Requests.Select(r => r.Status));
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3019);
    }

    [Fact]
    public async Task SendAsync_AmbiguousAnswer_EndsTheCounterAndResendsTheAttributeUpdate()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        var counter = rig.Item(rig.Envelope("{}"), AmbiguousOutcomePolicy.DeadLetter);
        var attribute = Attributes(rig, 1)[0];
        rig.Braze.Script(new SandboxAnswer.ApplyThenStatus(500));

        await rig.Host.Get<BatchSender>().SendAsync([counter, attribute], await rig.LeaseAsync(counter), default);

        Assert.True(Assert.IsType<DeliveryReport.Failed>(await counter.Report).Ambiguous);
        Assert.IsType<DeliveryReport.Accepted>(await attribute.Report);
        Assert.Equal([500, 201], rig.Braze.Requests.Select(r => r.Status));
        Assert.DoesNotContain("visits", rig.Braze.Requests[1].Body, StringComparison.Ordinal);
        Assert.Equal(1, rig.Braze.Counters["u-1/visits"]);
    }

    /// <summary>Attribute updates (set a value: the retry policy) for users u-0, u-1...; they merge into one request.</summary>
    private static List<DeliveryItem> Attributes(DispatchRig rig, int count) =>
        [.. Enumerable.Range(0, count).Select(i => rig.Item(rig.Envelope("{}"), AmbiguousOutcomePolicy.Retry,
            body: "{\"attributes\":[{\"external_id\":\"u-" + i + "\",\"plan\":\"gold\"}]}"))];
}
