using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using Microsoft.Extensions.Options;
using static BrazeFunctions.Tests.Delivery.DeliveryItems;

namespace BrazeFunctions.Tests.Delivery;

public sealed class PendingBatchTests
{
    private readonly MergeRules _rules = new(Options.Create(new CoalescingOptions()),
        new UsersTrackCaps(Options.Create(new BrazeRequestLimits()), new BrazeWorkspaces(Options.Create(new BrazeOptions { RestEndpoint = Workspace.RestEndpoint, ApiKey = "key" }))));

    [Fact]
    public void TryAdd_UntilTheCap_ThenFull()
    {
        var first = Item(Track(attributes: 70));
        var batch = new PendingBatch(MergeRules.GroupOf(first), first);

        Assert.True(batch.TryAdd(Item(Track(attributes: 5, user: "b")), _rules));
        Assert.False(batch.TryAdd(Item(Track(attributes: 1, user: "c")), _rules));
        Assert.True(batch.IsFull(_rules));
        Assert.Equal(2, batch.Items.Count);
    }

    [Fact]
    public void TryAdd_Closed_TakesNothingMore()
    {
        var first = Item(Track(attributes: 1));
        var batch = new PendingBatch(MergeRules.GroupOf(first), first) { Closed = true };

        Assert.False(batch.TryAdd(Item(Track(attributes: 1, user: "b")), _rules));
    }

    [Fact]
    public void RequestShare_IsTheBatchsPartOfAFullRequest_AndWholeForOneSentAlone()
    {
        var first = Item(Track(attributes: 15));
        var alone = Item("{\"aliases_to_identify\":[]}", BrazeEndpoints.UsersIdentify);

        Assert.Equal(0.2, new PendingBatch(MergeRules.GroupOf(first), first).RequestShare(_rules), precision: 6);
        Assert.Equal(1, new PendingBatch(MergeRules.GroupOf(alone), alone).RequestShare(_rules));
    }
}
