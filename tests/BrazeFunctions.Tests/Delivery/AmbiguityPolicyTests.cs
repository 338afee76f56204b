using System.Text.Json.Nodes;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;

namespace BrazeFunctions.Tests.Delivery;

public sealed class AmbiguityPolicyTests
{
    [Theory]
    [InlineData("/users/track", "{\"attributes\":[{\"external_id\":\"a\",\"plan\":\"gold\"}]}", AmbiguousOutcomePolicy.Retry)]
    [InlineData("/users/track", "{\"attributes\":[{\"external_id\":\"a\",\"n\":{\"inc\":1}}]}", AmbiguousOutcomePolicy.DeadLetter)]
    [InlineData("/users/track", "{\"attributes\":[{\"external_id\":\"a\",\"tags\":{\"add\":[\"x\"]}}]}", AmbiguousOutcomePolicy.DeadLetter)]
    [InlineData("/users/track", "{\"attributes\":[{\"external_id\":\"a\",\"tags\":{\"remove\":[\"x\"]}}]}", AmbiguousOutcomePolicy.DeadLetter)]
    [InlineData("/users/track", "{\"events\":[{\"external_id\":\"a\",\"name\":\"e\"}]}", AmbiguousOutcomePolicy.DeadLetter)]
    [InlineData("/users/track", "{\"purchases\":[{\"external_id\":\"a\",\"product_id\":\"p\"}]}", AmbiguousOutcomePolicy.DeadLetter)]
    [InlineData("/canvas/trigger/send", "{\"canvas_id\":\"c\",\"recipients\":[{\"external_user_id\":\"a\"}]}", AmbiguousOutcomePolicy.DeadLetter)]
    [InlineData("/campaigns/trigger/send", "{\"campaign_id\":\"c\",\"recipients\":[{\"external_user_id\":\"a\"}]}", AmbiguousOutcomePolicy.DeadLetter)]
    [InlineData("/messages/send", "{\"external_user_ids\":[\"a\"]}", AmbiguousOutcomePolicy.DeadLetter)]
    [InlineData("/users/identify", "{\"aliases_to_identify\":[]}", AmbiguousOutcomePolicy.Retry)]
    public void For_NothingDeclared_DependsOnWhatTheBodyDoes(string endpoint, string body, AmbiguousOutcomePolicy expected)
    {
        Assert.Equal(expected, AmbiguityPolicy.For(null, endpoint, JsonNode.Parse(body)!.AsObject()));
    }

    [Fact]
    public void For_Declared_WinsOverTheBody()
    {
        var counter = JsonNode.Parse("{\"attributes\":[{\"external_id\":\"a\",\"n\":{\"inc\":1}}]}")!.AsObject();

        Assert.Equal(AmbiguousOutcomePolicy.Retry, AmbiguityPolicy.For(AmbiguousOutcomePolicy.Retry, "/users/track", counter));
    }
}
