using System.Text.Json.Nodes;
using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Tests.Braze;

public sealed class BrazeEndpointsTests
{
    [Theory]
    [InlineData("/users/track", "{\"attributes\":[]}", "users-track")]
    [InlineData("/users/identify", "{}", "identity")]
    [InlineData("/users/alias/new", "{}", "identity")]
    [InlineData("/users/merge", "{}", "identity")]
    [InlineData("/subscription/status/set", "{}", "subscription")]
    [InlineData("/v2/subscription/status/set", "{}", "subscription")]
    [InlineData("/canvas/trigger/send", "{\"canvas_id\":\"c\",\"recipients\":[{\"external_user_id\":\"u\"}]}", "messaging")]
    [InlineData("/campaigns/trigger/send", "{\"campaign_id\":\"c\",\"recipients\":[{\"external_user_id\":\"u\"}]}", "messaging")]
    [InlineData("/messages/send", "{\"external_user_ids\":[\"u\"],\"messages\":{}}", "messaging")]
    [InlineData("/messages/send", "{\"user_aliases\":[{\"alias_name\":\"a\",\"alias_label\":\"l\"}]}", "messaging")]
    public void BucketOf_EachAllowedEndpoint_IsInItsBrazeBucket(string endpoint, string body, string expected)
    {
        Assert.Equal(expected, BrazeEndpoints.NameOf(BrazeEndpoints.BucketOf(endpoint, JsonNode.Parse(body) as JsonObject)));
    }

    [Theory]
    [InlineData("/canvas/trigger/send", "{\"canvas_id\":\"c\",\"broadcast\":true}")]
    [InlineData("/campaigns/trigger/send", "{\"campaign_id\":\"c\",\"audience\":{\"AND\":[]}}")]
    [InlineData("/messages/send", "{\"segment_id\":\"s\",\"messages\":{}}")]
    [InlineData("/canvas/trigger/send", "{\"canvas_id\":\"c\",\"recipients\":[]}")]
    public void BucketOf_MessagingWithoutRecipients_IsABroadcast(string endpoint, string body)
    {
        Assert.Equal(BrazeBucket.Broadcast, BrazeEndpoints.BucketOf(endpoint, JsonNode.Parse(body) as JsonObject));
    }

    [Fact]
    public void BucketOf_AnEndpointOffTheTable_IsOther()
    {
        Assert.Equal(BrazeBucket.Other, BrazeEndpoints.BucketOf("/email/status", null));
    }

    [Fact]
    public void Allowed_IsExactlyTheTablesEndpoints()
    {
        Assert.Equal(9, BrazeEndpoints.Allowed.Count);
        Assert.All(BrazeEndpoints.Allowed, endpoint => Assert.True(BrazeEndpoints.IsAllowed(endpoint)));
        Assert.False(BrazeEndpoints.IsAllowed("/users/delete"));
        Assert.False(BrazeEndpoints.IsAllowed(null));
    }

    [Fact]
    public void NameOf_EveryBucket_HasADistinctTableKeyName()
    {
        var names = Enum.GetValues<BrazeBucket>().Select(BrazeEndpoints.NameOf).ToList();

        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, name => Assert.Matches("^[a-z-]+$", name));
    }
}
