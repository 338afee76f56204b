using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using Microsoft.Extensions.Options;
using static BrazeFunctions.Tests.Delivery.DeliveryItems;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>Merge eligibility: who may wait for company, which group an item joins, and the caps a merged request stops at (the object cap as the workspace's contract counts it: in total, or per array for legacy contracts).</summary>
public sealed class MergeRulesTests
{
    private static readonly BrazeWorkspace Legacy = Workspace with { CapShape = UsersTrackCapShape.PerArray };

    private readonly MergeRules _rules = new(Options.Create(new CoalescingOptions()),
        new UsersTrackCaps(Options.Create(new BrazeRequestLimits()), new BrazeWorkspaces(Options.Create(new BrazeOptions { RestEndpoint = Workspace.RestEndpoint, ApiKey = "key" }))));

    [Theory]
    [InlineData(true, false, 100, true)]
    [InlineData(false, false, 100, false)]
    [InlineData(true, true, 100, false)]
    [InlineData(true, false, 0, false)]
    public void MayWaitForCompany_TemplateMessageAndLinger_AllMustAllowIt(bool templateCoalesces, bool sendAlone, int lingerMs, bool expected)
    {
        var rules = Rules(new CoalescingOptions { BatchLinger = TimeSpan.FromMilliseconds(lingerMs) });

        Assert.Equal(expected, rules.MayWaitForCompany(templateCoalesces, sendAlone));
    }

    [Fact]
    public void GroupOf_TriggersWithOtherFieldsDifferent_AreDifferentGroups()
    {
        var a = Item("{\"canvas_id\":\"c1\",\"recipients\":[{\"external_user_id\":\"u1\"}]}", BrazeEndpoints.CanvasTriggerSend);
        var b = Item("{\"recipients\":[{\"external_user_id\":\"u2\"}],\"canvas_id\":\"c1\"}", BrazeEndpoints.CanvasTriggerSend);
        var other = Item("{\"canvas_id\":\"c2\",\"recipients\":[{\"external_user_id\":\"u3\"}]}", BrazeEndpoints.CanvasTriggerSend);

        Assert.Equal(MergeRules.GroupOf(a), MergeRules.GroupOf(b));
        Assert.NotEqual(MergeRules.GroupOf(a), MergeRules.GroupOf(other));
    }

    [Fact]
    public void Fits_UsersTrackObjects_StopAtTheWorkspaceCap()
    {
        var rules = Rules(new CoalescingOptions(), new BrazeRequestLimits { MaxUsersTrackObjects = 3 });
        var load = Load(Item(Attributes(2)));

        Assert.True(rules.Fits(load, Item(Attributes(1))));
        Assert.False(rules.Fits(load, Item(Attributes(2))));
        load.Add(Item(Attributes(1)));
        Assert.True(rules.IsFull(load, Item(Attributes(1))));
    }

    [Fact]
    public void Fits_Recipients_StopAtTheRecipientCapAndNeverTwice()
    {
        var rules = Rules(new CoalescingOptions(), new BrazeRequestLimits { MaxTriggerRecipients = 2 });
        var load = Load(Trigger("u1"));

        Assert.False(rules.Fits(load, Trigger("u1")));
        Assert.True(rules.Fits(load, Trigger("u2")));
        Assert.False(rules.Fits(load, Trigger("u2", "u3")));
    }

    [Fact]
    public void Fits_SubscriptionUsers_StopAtFiftyAndNeverTwice()
    {
        var rules = Rules(new CoalescingOptions());
        var load = Load(Subscription(Enumerable.Range(0, 49).Select(i => "u" + i).ToArray()));

        Assert.False(rules.Fits(load, Subscription("u0")));
        Assert.True(rules.Fits(load, Subscription("v1")));
        Assert.False(rules.Fits(load, Subscription("v1", "v2")));
        load.Add(Subscription("v1"));
        Assert.True(rules.IsFull(load, Subscription("v2")));
    }

    [Fact]
    public void Fits_Bytes_StopAtMaxRequestBytes()
    {
        var first = Item(Attributes(1));
        var rules = Rules(new CoalescingOptions { MaxRequestBytes = first.Shape.Bytes * 2 });
        var load = Load(first);

        Assert.True(rules.Fits(load, Item(Attributes(1))));
        load.Add(Item(Attributes(1)));
        Assert.False(rules.Fits(load, Item(Attributes(1))));
        Assert.True(rules.IsFull(load, first));
    }

    private static MergeRules Rules(CoalescingOptions coalescing, BrazeRequestLimits? limits = null) =>
        new(Options.Create(coalescing), new UsersTrackCaps(Options.Create(limits ?? new BrazeRequestLimits()), new BrazeWorkspaces(Options.Create(new BrazeOptions()))));

    private static DeliveryItem Subscription(params string[] users) =>
        Item("{\"subscription_group_id\":\"g\",\"subscription_state\":\"subscribed\",\"external_id\":[" + string.Join(',', users.Select(u => $"\"{u}\"")) + "]}",
            BrazeEndpoints.SubscriptionStatusSet);

    private static string Attributes(int count) =>
        "{\"attributes\":[" + string.Join(',', Enumerable.Range(0, count).Select(i => $"{{\"external_id\":\"u{i}\",\"plan\":\"gold\"}}")) + "]}";

    private static DeliveryItem Trigger(params string[] users) =>
        Item("{\"canvas_id\":\"c\",\"recipients\":[" + string.Join(',', users.Select(u => $"{{\"external_user_id\":\"{u}\"}}")) + "]}", BrazeEndpoints.CanvasTriggerSend);

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
