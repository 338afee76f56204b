using System.Text.Json.Nodes;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using static BrazeFunctions.Tests.Delivery.DeliveryItems;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>What may merge (Analyze) and how bodies are merged (Merge).</summary>
public sealed class RequestMergerTests
{
    [Fact]
    public void Analyze_UsersTrackWithArraysOnly_MergesAndCountsEveryObject()
    {
        var shape = RequestMerger.Analyze(BrazeEndpoints.UsersTrack,
            "{\"attributes\":[{\"external_id\":\"a\",\"n\":{\"inc\":1}}],\"events\":[{\"external_id\":\"a\",\"name\":\"e\",\"properties\":{\"x\":{\"y\":1}}}]}", coalesce: true);

        Assert.Equal(MergeKind.UsersTrack, shape.Kind);
        Assert.Equal(2, shape.Objects);
        Assert.Null(shape.AloneBecause);
    }

    [Theory]
    [InlineData("{\"attributes\":[{\"external_id\":\"a\",\"address\":{\"city\":\"Paris\"}}]}", "nested")]
    [InlineData("{\"attributes\":[{\"external_id\":\"a\",\"pets\":[{\"name\":\"Rex\"}]}]}", "nested")]
    [InlineData("{\"attributes\":[{\"external_id\":\"a\",\"n\":{\"inc\":1,\"city\":\"x\"}}]}", "nested")]
    [InlineData("{\"attributes\":[{\"external_id\":\"a\"}],\"_update_existing_only\":true}", "'_update_existing_only'")]
    [InlineData("{\"attributes\":{\"external_id\":\"a\"}}", "not an array of objects")]
    [InlineData("{\"attributes\":[]}", "no objects")]
    public void Analyze_UsersTrackThatMayNotMerge_IsSentAloneWithTheReason(string body, string reason)
    {
        var shape = RequestMerger.Analyze(BrazeEndpoints.UsersTrack, body, coalesce: true);

        Assert.Equal(MergeKind.None, shape.Kind);
        Assert.Contains(reason, shape.AloneBecause, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"attributes\":[{\"external_id\":\"a\",\"tags\":{\"add\":[\"x\"]},\"n\":{\"inc\":-2},\"t\":{\"$time\":\"2026-11-29\"}}]}")]
    [InlineData("{\"attributes\":[{\"external_id\":\"a\",\"plan\":null,\"list\":[\"a\",\"b\"]}]}")]
    public void Analyze_AttributeOperationsAndPlainValues_AreNotNested(string body)
    {
        Assert.Equal(MergeKind.UsersTrack, RequestMerger.Analyze(BrazeEndpoints.UsersTrack, body, coalesce: true).Kind);
    }

    [Fact]
    public void Analyze_TemplateOptedOut_IsSentAlone()
    {
        var shape = RequestMerger.Analyze(BrazeEndpoints.UsersTrack, "{\"attributes\":[{\"external_id\":\"a\"}]}", coalesce: false);

        Assert.Equal(MergeKind.None, shape.Kind);
        Assert.Contains("alone", shape.AloneBecause, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"canvas_id\":\"c\",\"broadcast\":true,\"recipients\":[{\"external_user_id\":\"u\"}]}", "broadcast")]
    [InlineData("{\"canvas_id\":\"c\",\"broadcast\":true}", "broadcast")]
    [InlineData("{\"canvas_id\":\"c\",\"audience\":{\"AND\":[]}}", "no 'recipients'")]
    [InlineData("{\"canvas_id\":\"c\",\"recipients\":[{\"external_user_id\":\"u\"},{\"external_user_id\":\"u\"}]}", "twice")]
    [InlineData("{\"canvas_id\":\"c\",\"recipients\":[{\"send_to_existing_only\":true}]}", "names no single user")]
    public void Analyze_TriggerThatMayNotMerge_IsSentAlone(string body, string reason)
    {
        var shape = RequestMerger.Analyze(BrazeEndpoints.CanvasTriggerSend, body, coalesce: true);

        Assert.Equal(MergeKind.None, shape.Kind);
        Assert.Contains(reason, shape.AloneBecause, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_TriggersWithEqualOtherFieldsInAnyOrder_ShareALane()
    {
        var a = RequestMerger.Analyze(BrazeEndpoints.CanvasTriggerSend, "{\"canvas_id\":\"c\",\"context\":{\"a\":1,\"b\":2},\"recipients\":[{\"external_user_id\":\"u1\"}]}", coalesce: true);
        var b = RequestMerger.Analyze(BrazeEndpoints.CanvasTriggerSend, "{\"context\":{\"b\":2,\"a\":1},\"recipients\":[{\"external_user_id\":\"u2\"}],\"canvas_id\":\"c\"}", coalesce: true);
        var other = RequestMerger.Analyze(BrazeEndpoints.CanvasTriggerSend, "{\"canvas_id\":\"c\",\"context\":{\"a\":1,\"b\":3},\"recipients\":[{\"external_user_id\":\"u3\"}]}", coalesce: true);

        Assert.Equal(MergeKind.Recipients, a.Kind);
        Assert.Equal(a.MergeKey, b.MergeKey);
        Assert.NotEqual(a.MergeKey, other.MergeKey);
        Assert.Equal(["{\"external_user_id\":\"u1\"}"], a.RecipientIds);
    }

    [Fact]
    public void Analyze_OtherEndpoint_IsSentAlone()
    {
        var shape = RequestMerger.Analyze("/users/merge", "{\"merge_updates\":[]}", coalesce: true);

        Assert.Equal(MergeKind.None, shape.Kind);
        Assert.Contains("are not merged", shape.AloneBecause, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_Identify_MergesItsAliasesKeyedByTheUserEachBecomes()
    {
        var shape = RequestMerger.Analyze(BrazeEndpoints.UsersIdentify, Identify(("u1", "a1"), ("u2", "a2")), coalesce: true);

        Assert.Equal(MergeKind.IdentifyAliases, shape.Kind);
        Assert.Equal(2, shape.Objects);
        Assert.Equal(["{\"external_id\":\"u1\"}", "{\"external_id\":\"u2\"}"], shape.RecipientIds);
        Assert.Equal(shape.MergeKey, RequestMerger.Analyze(BrazeEndpoints.UsersIdentify, Identify(("u3", "a3")), coalesce: true).MergeKey);
    }

    [Theory]
    [InlineData("{\"aliases_to_identify\":[]}", "no 'aliases_to_identify'")]
    [InlineData("{\"aliases_to_identify\":[{\"user_alias\":{\"alias_name\":\"a\",\"alias_label\":\"l\"}}]}", "names no single user")]
    [InlineData("{\"aliases_to_identify\":[{\"external_id\":\"u1\"}]}", "names no single user")]
    [InlineData("{\"aliases_to_identify\":[{\"external_id\":7,\"user_alias\":{\"alias_name\":\"a\",\"alias_label\":\"l\"}}]}", "names no single user")]
    [InlineData("{\"aliases_to_identify\":[{\"external_id\":\"u1\",\"user_alias\":{\"alias_name\":\"a\",\"alias_label\":\"l\"}},{\"external_id\":\"u1\",\"user_alias\":{\"alias_name\":\"b\",\"alias_label\":\"l\"}}]}", "twice")]
    public void Analyze_IdentifyThatMayNotMerge_IsSentAloneWithTheReason(string body, string reason)
    {
        var shape = RequestMerger.Analyze(BrazeEndpoints.UsersIdentify, body, coalesce: true);

        Assert.Equal(MergeKind.None, shape.Kind);
        Assert.Contains(reason, shape.AloneBecause, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_Subscription_OneUserAsAStringIsAListOfOneAndGroupAndStateKeyTheMerge()
    {
        var single = RequestMerger.Analyze(BrazeEndpoints.SubscriptionStatusSet, Subscription("g1", "subscribed", "\"u1\""), coalesce: true);
        var many = RequestMerger.Analyze(BrazeEndpoints.SubscriptionStatusSet, Subscription("g1", "subscribed", "[\"u2\",\"u3\"]"), coalesce: true);
        var otherState = RequestMerger.Analyze(BrazeEndpoints.SubscriptionStatusSet, Subscription("g1", "unsubscribed", "\"u4\""), coalesce: true);
        var otherGroup = RequestMerger.Analyze(BrazeEndpoints.SubscriptionStatusSet, Subscription("g2", "subscribed", "\"u5\""), coalesce: true);

        Assert.Equal(MergeKind.SubscriptionUsers, single.Kind);
        Assert.Equal(["u1"], single.RecipientIds);
        Assert.Equal(["u2", "u3"], many.RecipientIds);
        Assert.Equal(2, many.Objects);
        Assert.Equal(single.MergeKey, many.MergeKey);
        Assert.NotEqual(single.MergeKey, otherState.MergeKey);
        Assert.NotEqual(single.MergeKey, otherGroup.MergeKey);
    }

    [Theory]
    [InlineData("{\"subscription_group_id\":\"g\",\"subscription_state\":\"subscribed\",\"email\":\"a@b.c\"}", "email or phone")]
    [InlineData("{\"subscription_group_id\":\"g\",\"subscription_state\":\"subscribed\",\"external_id\":\"u1\",\"phone\":\"+33600000000\"}", "email or phone")]
    [InlineData("{\"subscription_group_id\":\"g\",\"subscription_state\":\"subscribed\"}", "no 'external_id'")]
    [InlineData("{\"subscription_group_id\":\"g\",\"subscription_state\":\"subscribed\",\"external_id\":[\"u1\",\"\"]}", "names no single user")]
    [InlineData("{\"subscription_group_id\":\"g\",\"subscription_state\":\"subscribed\",\"external_id\":[\"u1\",\"u1\"]}", "twice")]
    public void Analyze_SubscriptionThatMayNotMerge_IsSentAloneWithTheReason(string body, string reason)
    {
        var shape = RequestMerger.Analyze(BrazeEndpoints.SubscriptionStatusSet, body, coalesce: true);

        Assert.Equal(MergeKind.None, shape.Kind);
        Assert.Contains(reason, shape.AloneBecause, StringComparison.Ordinal);
    }

    [Fact]
    public void Analyze_SubscriptionWithOneUnmergeableUser_IsSentAsRendered()
    {
        var shape = RequestMerger.Analyze(BrazeEndpoints.SubscriptionStatusSet, Subscription("g1", "subscribed", "\"\""), coalesce: true);

        Assert.Equal(MergeKind.None, shape.Kind);
        Assert.Equal("", shape.Body["external_id"]!.GetValue<string>());
    }

    [Fact]
    public void Merge_Identify_ConcatenatesTheAliasesInOrder()
    {
        var merged = RequestMerger.Merge([
            Item(Identify(("u1", "a1")), BrazeEndpoints.UsersIdentify),
            Item(Identify(("u2", "a2"), ("u3", "a3")), BrazeEndpoints.UsersIdentify, 1)]);

        var aliases = JsonNode.Parse(merged.BodyJson)!["aliases_to_identify"]!.AsArray();
        Assert.Equal(["u1", "u2", "u3"], aliases.Select(a => a!["external_id"]!.GetValue<string>()));
        Assert.Equal(["a1", "a2", "a3"], aliases.Select(a => a!["user_alias"]!["alias_name"]!.GetValue<string>()));
        Assert.Equal(3, merged.Objects);
    }

    [Fact]
    public void Merge_Subscription_WritesEveryUserAsOneArrayAndKeepsGroupAndState()
    {
        var merged = RequestMerger.Merge([
            Item(Subscription("g1", "unsubscribed", "\"u1\""), BrazeEndpoints.SubscriptionStatusSet),
            Item(Subscription("g1", "unsubscribed", "[\"u2\"]"), BrazeEndpoints.SubscriptionStatusSet, 1)]);

        var body = JsonNode.Parse(merged.BodyJson)!.AsObject();
        Assert.Equal("g1", body["subscription_group_id"]!.GetValue<string>());
        Assert.Equal("unsubscribed", body["subscription_state"]!.GetValue<string>());
        Assert.Equal(["u1", "u2"], body["external_id"]!.AsArray().Select(id => id!.GetValue<string>()));
    }

    private static string Identify(params (string User, string Alias)[] aliases) =>
        "{\"aliases_to_identify\":[" + string.Join(',', aliases.Select(a =>
            $"{{\"external_id\":\"{a.User}\",\"user_alias\":{{\"alias_name\":\"{a.Alias}\",\"alias_label\":\"crm\"}}}}")) + "]}";

    private static string Subscription(string group, string state, string externalIdJson) =>
        $"{{\"subscription_group_id\":\"{group}\",\"subscription_state\":\"{state}\",\"external_id\":{externalIdJson}}}";

    [Fact]
    public void Merge_UsersTrack_ConcatenatesEachArrayInTheGivenOrder()
    {
        var first = Item("{\"attributes\":[{\"external_id\":\"a\",\"x\":1}],\"events\":[{\"external_id\":\"a\",\"name\":\"e1\"}]}");
        var second = Item("{\"attributes\":[{\"external_id\":\"b\",\"x\":2},{\"external_id\":\"c\",\"x\":3}]}", secondsAfterStart: 1);
        var third = Item("{\"purchases\":[{\"external_id\":\"d\",\"product_id\":\"p\"}],\"events\":[{\"external_id\":\"d\",\"name\":\"e2\"}]}", secondsAfterStart: 2);

        var merged = RequestMerger.Merge([first, second, third]);

        Assert.Equal(
            "{\"attributes\":[{\"external_id\":\"a\",\"x\":1},{\"external_id\":\"b\",\"x\":2},{\"external_id\":\"c\",\"x\":3}]," +
            "\"events\":[{\"external_id\":\"a\",\"name\":\"e1\"},{\"external_id\":\"d\",\"name\":\"e2\"}]," +
            "\"purchases\":[{\"external_id\":\"d\",\"product_id\":\"p\"}]}",
            merged.BodyJson);
        Assert.Equal(6, merged.Objects);
    }

    [Fact]
    public void Merge_Triggers_ConcatenatesRecipientsAndKeepsTheOtherFields()
    {
        var first = Item("{\"canvas_id\":\"c\",\"context\":{\"k\":1},\"recipients\":[{\"external_user_id\":\"u1\",\"context\":{\"p\":\"x\"}}]}", BrazeEndpoints.CanvasTriggerSend);
        var second = Item("{\"canvas_id\":\"c\",\"context\":{\"k\":1},\"recipients\":[{\"external_user_id\":\"u2\"}]}", BrazeEndpoints.CanvasTriggerSend, 1);

        var merged = RequestMerger.Merge([first, second]);

        var body = JsonNode.Parse(merged.BodyJson)!.AsObject();
        Assert.Equal("c", body["canvas_id"]!.GetValue<string>());
        Assert.Equal(1, body["context"]!["k"]!.GetValue<int>());
        Assert.Equal(["u1", "u2"], body["recipients"]!.AsArray().Select(r => r!["external_user_id"]!.GetValue<string>()));
        Assert.Equal("x", body["recipients"]![0]!["context"]!["p"]!.GetValue<string>());
        Assert.Equal(2, merged.Objects);
    }

    [Fact]
    public void Merge_BigNumbersAndUnicode_AreWrittenAsReceived()
    {
        var item = Item("{\"attributes\":[{\"external_id\":\"é<&>\",\"n\":123456789012345678901234567890}]}");

        Assert.Equal("{\"attributes\":[{\"external_id\":\"é<&>\",\"n\":123456789012345678901234567890}]}", RequestMerger.Merge([item]).BodyJson);
    }
}
