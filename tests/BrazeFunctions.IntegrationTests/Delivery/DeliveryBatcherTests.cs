using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Delivery;

/// <summary>
/// The batcher on its own, against Azurite and the Braze sandbox: items that may merge and meet within the linger share
/// one request; an item that must go alone does not wait for company; a caller that gives up withdraws its item; once
/// the host stops, nothing new is taken.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class DeliveryBatcherTests(AzuriteFixture azurite)
{
    private static readonly Dictionary<string, string?> LongLinger = new() { ["Dispatch:BatchLinger"] = "00:00:01" };

    [Fact]
    public async Task SubmitAsync_MergeableItemsWithinTheLinger_ShareOneRequestAndEachIsAccepted()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, LongLinger);
        var items = new[] { "u-1", "u-2" }.Select(u => Item(rig, u)).ToList();

        var reports = await Task.WhenAll(items.Select(i => Batcher(rig).SubmitAsync(i, default)));

        Assert.All(reports, r => Assert.IsType<DeliveryReport.Accepted>(r));
        var request = Assert.Single(rig.Braze.Requests);
        Assert.Contains("\"u-1\"", request.Body, StringComparison.Ordinal);
        Assert.Contains("\"u-2\"", request.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubmitAsync_ItemsThatMustGoAlone_AreEachSentInARequestOfTheirOwn()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, LongLinger);
        var items = new[] { "u-1", "u-2" }.Select(u => Item(rig, u, coalesce: false)).ToList();

        var reports = await Task.WhenAll(items.Select(i => Batcher(rig).SubmitAsync(i, default)));

        Assert.All(reports, r => Assert.IsType<DeliveryReport.Accepted>(r));
        Assert.Equal(2, rig.Braze.Requests.Count);
    }

    [Fact]
    public async Task SubmitAsync_CallerGivesUpWhileTheItemIsHeld_ReportsWithdrawnAndNothingIsSent()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:05" });
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var report = await Batcher(rig).SubmitAsync(Item(rig, "u-1"), giveUp.Token);

        Assert.IsType<DeliveryReport.Withdrawn>(report);
        Assert.Empty(rig.Braze.Requests);
    }

    [Fact]
    public async Task SubmitAsync_AfterTheHostBeganStopping_ReportsShutDownWithoutSending()
    {
        await using var rig = await DispatchRig.StartAsync(azurite);
        await Batcher(rig).StopAsync(default);

        var report = await Batcher(rig).SubmitAsync(Item(rig, "u-1"), default);

        Assert.IsType<DeliveryReport.ShutDown>(report);
        Assert.Empty(rig.Braze.Requests);
    }

    private static DeliveryItem Item(DispatchRig rig, string user, bool coalesce = true) =>
        rig.Item(rig.Envelope("{}"), AmbiguousOutcomePolicy.DeadLetter, $"{{\"attributes\":[{{\"external_id\":\"{user}\",\"plan\":\"gold\"}}]}}", coalesce: coalesce);

    private static DeliveryBatcher Batcher(DispatchRig rig) => rig.Host.Get<DeliveryBatcher>();
}
