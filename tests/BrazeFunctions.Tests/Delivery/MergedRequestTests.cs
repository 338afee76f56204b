using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using static BrazeFunctions.Tests.Delivery.DeliveryItems;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>A merged request maps Braze's errors back to the item that contributed the object they name.</summary>
public sealed class MergedRequestTests
{
    [Fact]
    public void OwnerOf_ErrorIndexes_MapToTheContributorThroughPerArrayOffsets()
    {
        var first = Item("{\"attributes\":[{\"external_id\":\"a\"}],\"events\":[{\"external_id\":\"a\",\"name\":\"e1\"}]}");
        var second = Item("{\"attributes\":[{\"external_id\":\"b\"},{\"x\":1}],\"events\":[{\"name\":\"e2\"}]}", secondsAfterStart: 1);
        var merged = RequestMerger.Merge([first, second]);

        var attribute = merged.OwnerOf(new BrazePartialError("missing id", "attributes", 2));
        var eventError = merged.OwnerOf(new BrazePartialError("missing id", "events", 1));

        Assert.Same(second, attribute!.Value.Item);
        Assert.Equal(1, attribute.Value.Error.Index);
        Assert.Same(second, eventError!.Value.Item);
        Assert.Equal(0, eventError.Value.Error.Index);
        Assert.Same(first, merged.OwnerOf(new BrazePartialError("x", "events", 0))!.Value.Item);
        Assert.Null(merged.OwnerOf(new BrazePartialError("x", "purchases", 0)));
        Assert.Null(merged.OwnerOf(new BrazePartialError("x", null, null)));
    }
}
