using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using Microsoft.Extensions.Options;
using static BrazeFunctions.Tests.Delivery.DeliveryItems;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>The object cap as the workspace's contract counts it: in total (combined) or per array (legacy contracts).</summary>
public sealed class MergeRulesTests
{
    private static readonly BrazeWorkspace Legacy = Workspace with { CapShape = UsersTrackCapShape.PerArray };

    private readonly MergeRules _rules = new(Options.Create(new CoalescingOptions()),
        new UsersTrackCaps(Options.Create(new BrazeRequestLimits()), new BrazeWorkspaces(Options.Create(new BrazeOptions { RestEndpoint = Workspace.RestEndpoint, ApiKey = "key" }))));

    [Fact]
    public void Fits_Combined_CountsAttributesEventsAndPurchasesTogether()
    {
        var load = Load(Item(Track(attributes: 74)));

        Assert.True(_rules.Fits(load, Item(Track(attributes: 0, events: 1))));
        Assert.False(_rules.Fits(load, Item(Track(attributes: 1, events: 1))));
    }

    [Fact]
    public void Fits_PerArray_CountsEachArrayOnItsOwn()
    {
        var load = Load(Item(Track(attributes: 75), workspace: Legacy));

        Assert.True(_rules.Fits(load, Item(Track(attributes: 0, events: 75), workspace: Legacy)));
        Assert.False(_rules.Fits(load, Item(Track(attributes: 1), workspace: Legacy)));
    }

    [Fact]
    public void IsFull_PerArray_OnlyOnceEveryArrayIsFull()
    {
        var first = Item(Track(attributes: 75, events: 75), workspace: Legacy);
        var load = Load(first);
        Assert.False(_rules.IsFull(load, first));

        load.Add(Item("{\"purchases\":[" + string.Join(",", Enumerable.Range(0, 75).Select(i => $"{{\"external_id\":\"p{i}\",\"product_id\":\"x\",\"currency\":\"EUR\",\"price\":1,\"time\":\"2026-11-29T10:00:00Z\"}}")) + "]}", workspace: Legacy));

        Assert.True(_rules.IsFull(load, first));
        Assert.Equal((75, 75, 75), (load.ObjectsIn("attributes"), load.ObjectsIn("events"), load.ObjectsIn("purchases")));
    }

    [Fact]
    public void IsFull_Combined_AtTheCapInTotal()
    {
        var first = Item(Track(attributes: 40, events: 35));

        Assert.True(_rules.IsFull(Load(first), first));
    }

    private static MergeLoad Load(params DeliveryItem[] items)
    {
        var load = new MergeLoad();
        foreach (var item in items)
        {
            load.Add(item);
        }

        return load;
    }
}
