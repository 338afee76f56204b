using System.Text.Json.Nodes;
using BrazeFunctions.Core.Delivery;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>How merged bodies and merge keys are written.</summary>
public sealed class MergeJsonTests
{
    [Fact]
    public void Canonical_KeysInAnyOrderAtAnyDepth_WriteTheSameText()
    {
        var a = JsonNode.Parse("{\"b\":{\"y\":1,\"x\":[{\"q\":2,\"p\":null}]},\"a\":\"é\"}");
        var b = JsonNode.Parse("{\"a\":\"é\",\"b\":{\"x\":[{\"p\":null,\"q\":2}],\"y\":1}}");

        Assert.Equal("{\"a\":\"é\",\"b\":{\"x\":[{\"p\":null,\"q\":2}],\"y\":1}}", MergeJson.Canonical(a));
        Assert.Equal(MergeJson.Canonical(a), MergeJson.Canonical(b));
    }

    [Fact]
    public void Canonical_ArrayOrder_IsKept()
    {
        Assert.NotEqual(MergeJson.Canonical(JsonNode.Parse("[1,2]")), MergeJson.Canonical(JsonNode.Parse("[2,1]")));
    }

    [Fact]
    public void Write_BigNumbersAndHtmlCharacters_AreWrittenAsReceived()
    {
        var body = JsonNode.Parse("{\"n\":123456789012345678901234567890,\"s\":\"<&>é\"}")!.AsObject();

        Assert.Equal("{\"n\":123456789012345678901234567890,\"s\":\"<&>é\"}", MergeJson.Write(body));
    }
}
