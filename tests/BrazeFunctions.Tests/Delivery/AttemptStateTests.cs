using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Pacing;
using static BrazeFunctions.Tests.Delivery.DeliveryItems;
using static BrazeFunctions.Tests.Pacing.PacingKit;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>One group's pass through the retry pipeline: the batch's lease is used once, and the items still going are its own list.</summary>
public sealed class AttemptStateTests
{
    [Fact]
    public void TakeLease_TwiceOrMore_GivesTheGroupsLeaseOnlyOnce()
    {
        var lease = PaceLease.Refused(Request(), TimeSpan.FromSeconds(1), PaceReason.Budget);
        var state = new AttemptState(new SendGroup([Item(Track(1))], lease, ResentAfterNamedErrors: false), default);

        Assert.Same(lease, state.TakeLease());
        Assert.Null(state.TakeLease());
    }

    [Fact]
    public void TakeLease_GroupWithoutALease_IsNull()
    {
        Assert.Null(new AttemptState(new SendGroup([Item(Track(1))], null, ResentAfterNamedErrors: false), default).TakeLease());
    }

    [Fact]
    public void Current_ItemsDroppedDuringThePass_LeaveTheGroupAsItWas()
    {
        var items = new List<DeliveryItem> { Item(Track(1)), Item(Track(2)) };
        var state = new AttemptState(new SendGroup(items, null, ResentAfterNamedErrors: false), default);

        state.Current.RemoveAt(0);

        Assert.Single(state.Current);
        Assert.Equal(2, state.Group.Items.Count);
    }
}
