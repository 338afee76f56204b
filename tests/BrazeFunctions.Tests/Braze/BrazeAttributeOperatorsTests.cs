using System.Text.Json.Nodes;
using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Tests.Braze;

public sealed class BrazeAttributeOperatorsTests
{
    [Theory]
    [InlineData("\"gold\"", false)]
    [InlineData("{\"inc\":1}", false)]
    [InlineData("{\"add\":[\"a\"],\"remove\":[\"b\"]}", false)]
    [InlineData("{\"$time\":\"2026-01-01T00:00:00Z\"}", false)]
    [InlineData("[\"a\",\"b\"]", false)]
    [InlineData("{\"city\":\"Lyon\"}", true)]
    [InlineData("{\"$add\":[{\"id\":1}]}", true)]
    [InlineData("{\"$update\":[{\"$identifier_key\":\"id\",\"$identifier_value\":1,\"$new_object\":{}}]}", true)]
    [InlineData("{\"add\":[{\"id\":1}]}", true)]
    [InlineData("[{\"id\":1}]", true)]
    [InlineData("{}", true)]
    public void IsNestedValue_FlatOperationsAndPlainValues_AreNotNested(string json, bool nested)
    {
        Assert.Equal(nested, BrazeAttributeOperators.IsNestedValue(JsonNode.Parse(json)));
    }

    [Theory]
    [InlineData("{\"inc\":1}", true)]
    [InlineData("{\"add\":[\"a\"]}", true)]
    [InlineData("{\"remove\":[\"a\"]}", true)]
    [InlineData("{\"$add\":[{\"id\":1}]}", true)]
    [InlineData("{\"$remove\":[{\"id\":1}]}", true)]
    [InlineData("{\"$update\":[]}", true)]
    [InlineData("{\"address\":{\"visits\":{\"inc\":1}}}", true)]
    [InlineData("{\"$time\":\"2026-01-01T00:00:00Z\"}", false)]
    [InlineData("{\"city\":\"Lyon\"}", false)]
    [InlineData("\"gold\"", false)]
    [InlineData("5", false)]
    public void IsRelativeUpdate_OperatorsThatApplyTwice_AreRelative(string json, bool relative)
    {
        Assert.Equal(relative, BrazeAttributeOperators.IsRelativeUpdate(JsonNode.Parse(json)));
    }
}
