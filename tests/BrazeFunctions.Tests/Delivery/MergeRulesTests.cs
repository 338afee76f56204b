using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using Microsoft.Extensions.Options;
using static BrazeFunctions.Tests.Delivery.DeliveryItems;

namespace BrazeFunctions.Tests.Delivery;

public sealed class MergeRulesTests
{
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

    private static MergeLoad Load(DeliveryItem first)
    {
        var load = new MergeLoad();
        load.Add(first);
        return load;
    }

    private static string Attributes(int count) =>
        "{\"attributes\":[" + string.Join(',', Enumerable.Range(0, count).Select(i => $"{{\"external_id\":\"u{i}\",\"plan\":\"gold\"}}")) + "]}";

    private static DeliveryItem Trigger(params string[] users) =>
        Item("{\"canvas_id\":\"c\",\"recipients\":[" + string.Join(',', users.Select(u => $"{{\"external_user_id\":\"{u}\"}}")) + "]}", BrazeEndpoints.CanvasTriggerSend);
}
