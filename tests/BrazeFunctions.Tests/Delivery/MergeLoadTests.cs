using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using static BrazeFunctions.Tests.Delivery.DeliveryItems;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>What a group of merged requests carries: objects, bytes, recipients, and objects per /users/track array.</summary>
public sealed class MergeLoadTests
{
    [Fact]
    public void Add_UsersTrackItems_SumsObjectsBytesAndEachArray()
    {
        var first = Item(Track(attributes: 2, events: 1));
        var second = Item(Track(attributes: 3, user: "v"));
        var load = new MergeLoad();

        load.Add(first);
        load.Add(second);

        Assert.Equal(first.Shape.Objects + second.Shape.Objects, load.Objects);
        Assert.Equal(first.Shape.Bytes + second.Shape.Bytes, load.Bytes);
        Assert.Equal((5, 1, 0), (load.ObjectsIn("attributes"), load.ObjectsIn("events"), load.ObjectsIn("purchases")));
    }

    [Fact]
    public void Add_Triggers_CollectsTheirRecipientsOnceAndCountsNoTrackArray()
    {
        var load = new MergeLoad();

        load.Add(Item("{\"canvas_id\":\"c1\",\"recipients\":[{\"external_user_id\":\"u1\"},{\"external_user_id\":\"u2\"}]}", BrazeEndpoints.CanvasTriggerSend));
        load.Add(Item("{\"canvas_id\":\"c1\",\"recipients\":[{\"external_user_id\":\"u2\"}]}", BrazeEndpoints.CanvasTriggerSend));

        // A recipient is known by its whole identifying object, so u2 counts once.
        Assert.Equal(["{\"external_user_id\":\"u1\"}", "{\"external_user_id\":\"u2\"}"], load.Recipients.Order(StringComparer.Ordinal));
        Assert.Equal(0, load.ObjectsIn("attributes"));
    }

    [Fact]
    public void CountIn_ArrayMissingOrNotAnArray_IsZero()
    {
        var item = Item("{\"attributes\":[{\"external_id\":\"u1\",\"plan\":\"gold\"}]}");

        Assert.Equal(1, MergeLoad.CountIn(item, "attributes"));
        Assert.Equal(0, MergeLoad.CountIn(item, "events"));
    }

    [Fact]
    public void TrackArrays_AreTheThreeArraysThatCarryObjects()
    {
        Assert.Equal(["attributes", "events", "purchases"], MergeLoad.TrackArrays);
    }
}
