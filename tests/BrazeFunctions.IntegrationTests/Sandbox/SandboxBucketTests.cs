using System.Net;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.Time.Testing;
using static BrazeFunctions.IntegrationTests.Infrastructure.SandboxClient;

namespace BrazeFunctions.IntegrationTests.Sandbox;

/// <summary>The sandbox's rate-limit buckets: each counts its own requests in its own windows and speaks only for itself.</summary>
public sealed class SandboxBucketTests
{
    private const string Key = "sk-sandbox-test";

    /// <summary>Mid-window on a 3-second grid (1,800,000,001 s since the epoch): the window ends at 1,800,000,003.</summary>
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_800_000_001);

    [Fact]
    public async Task Answer_UsersTrackSpent_IdentityStillAnswersWithItsOwnLimitAndCount()
    {
        await using var sandbox = await BrazeSandbox.StartAsync(new FakeTimeProvider(Start), Key);
        sandbox.SetLimit(BrazeBucket.UsersTrack, 2, TimeSpan.FromSeconds(3));
        sandbox.SetLimit(BrazeBucket.Identity, 5, TimeSpan.FromSeconds(6));
        using var client = new SandboxClient(sandbox);

        var track = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            track.Add(await client.PostAsync("/users/track", UsersTrack($"u-{i}")));
        }

        var identify = await client.PostAsync("/users/identify", """{"aliases_to_identify":[{"external_id":"u-1","user_alias":{"alias_name":"a","alias_label":"l"}}]}""");

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests], track.Select(r => r.StatusCode));
        Assert.Equal(HttpStatusCode.Created, identify.StatusCode);
        Assert.Equal(("5", "4", "1800000006"), (Header(identify, "X-RateLimit-Limit"), Header(identify, "X-RateLimit-Remaining"), Header(identify, "X-RateLimit-Reset")));
        Assert.Equal(("2", "0", "1800000003"), (Header(track[2], "X-RateLimit-Limit"), Header(track[2], "X-RateLimit-Remaining"), Header(track[2], "X-RateLimit-Reset")));
        Assert.Equal([BrazeBucket.UsersTrack, BrazeBucket.UsersTrack, BrazeBucket.UsersTrack, BrazeBucket.Identity], sandbox.Requests.Select(r => r.Bucket));
    }

    [Theory]
    [InlineData("/canvas/trigger/send", """{"canvas_id":"c-1","recipients":[{"external_user_id":"u-1"}]}""", "messaging", "250000")]
    [InlineData("/canvas/trigger/send", """{"canvas_id":"c-1","broadcast":true}""", "broadcast", "250")]
    [InlineData("/campaigns/trigger/send", """{"campaign_id":"k-1","audience":{"AND":[]},"broadcast":true}""", "broadcast", "250")]
    [InlineData("/messages/send", """{"external_user_ids":["u-1"],"messages":{}}""", "messaging", "250000")]
    [InlineData("/subscription/status/set", """{"subscription_group_id":"g","subscription_state":"subscribed","external_id":"u-1"}""", "subscription", "5000")]
    [InlineData("/users/delete", """{"external_ids":["u-1"]}""", "identity", "20000")]
    [InlineData("/users/export/ids", """{"external_ids":["u-1"]}""", "other", "250000")]
    public async Task Answer_EachEndpoint_CountsAgainstItsBrazeBucketWithBrazesDefaultLimit(string path, string body, string bucket, string limit)
    {
        await using var sandbox = await BrazeSandbox.StartAsync(new FakeTimeProvider(Start), Key);
        using var client = new SandboxClient(sandbox);

        var answer = await client.PostAsync(path, body);

        Assert.Equal(HttpStatusCode.Created, answer.StatusCode);
        Assert.Equal(bucket, BrazeBuckets.Name(Assert.Single(sandbox.Requests).Bucket));
        Assert.Equal(limit, Header(answer, "X-RateLimit-Limit"));
    }

    [Fact]
    public async Task Answer_429ClosesUsersTrack_SubscriptionAndMessagingStayOpen()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await BrazeSandbox.StartAsync(clock, Key);
        sandbox.Script(new SandboxAnswer.Status(429, HostileAnswers.RateLimitedBody, Start.AddMinutes(5)));
        using var client = new SandboxClient(sandbox);

        var closing = await client.PostAsync("/users/track", UsersTrack("u-1"));
        clock.Advance(TimeSpan.FromSeconds(1));
        var stillClosed = await client.PostAsync("/users/track", UsersTrack("u-2"));
        var subscription = await client.PostAsync("/subscription/status/set", """{"subscription_group_id":"g","subscription_state":"subscribed","external_id":"u-1"}""");
        var trigger = await client.PostAsync("/canvas/trigger/send", """{"canvas_id":"c-1","recipients":[{"external_user_id":"u-1"}]}""");

        Assert.Equal(
            [HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests, HttpStatusCode.Created, HttpStatusCode.Created],
            new[] { closing, stillClosed, subscription, trigger }.Select(r => r.StatusCode));
        Assert.Equal(Start.AddMinutes(5).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), Header(stillClosed, "X-RateLimit-Reset"));
        Assert.True(sandbox.Requests[1].InsideAnnouncedWindow);
        Assert.False(sandbox.Requests[2].InsideAnnouncedWindow);
    }

    [Fact]
    public async Task Answer_NextWindow_CountStartsAgain()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await BrazeSandbox.StartAsync(clock, Key);
        sandbox.SetLimit(BrazeBucket.UsersTrack, 1, TimeSpan.FromSeconds(3));
        using var client = new SandboxClient(sandbox);

        var first = await client.PostAsync("/users/track", UsersTrack("u-1"));
        var second = await client.PostAsync("/users/track", UsersTrack("u-2"));
        clock.Advance(TimeSpan.FromSeconds(2));
        var third = await client.PostAsync("/users/track", UsersTrack("u-3"));

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.Created], new[] { first, second, third }.Select(r => r.StatusCode));
        Assert.Equal("1800000006", Header(third, "X-RateLimit-Reset"));
        Assert.Equal(["u-1", "u-3"], sandbox.AppliedObjects.Select(o => o.User));
    }

    [Fact]
    public async Task ScriptFor_SecondIdentityRequest_AnswersOnlyThatOneAndLeavesOtherBucketsAlone()
    {
        await using var sandbox = await BrazeSandbox.StartAsync(new FakeTimeProvider(Start), Key);
        sandbox.ScriptFor(BrazeBucket.Identity, 2, HostileAnswers.RetryAfterTwoDays());
        using var client = new SandboxClient(sandbox);
        const string Identify = """{"aliases_to_identify":[]}""";

        var statuses = new List<HttpStatusCode>
        {
            (await client.PostAsync("/users/identify", Identify)).StatusCode,
            (await client.PostAsync("/users/track", UsersTrack("u-1"))).StatusCode,
            (await client.PostAsync("/users/track", UsersTrack("u-2"))).StatusCode,
            (await client.PostAsync("/users/identify", Identify)).StatusCode,
            (await client.PostAsync("/users/identify", Identify)).StatusCode,
        };

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(2, sandbox.RateLimitedAnswers);
    }

    [Fact]
    public async Task Answer_WrongKeyUnknownPathBadBody_401And404And400LikeBraze()
    {
        await using var sandbox = await BrazeSandbox.StartAsync(new FakeTimeProvider(Start), Key);
        using var client = new SandboxClient(sandbox);

        var wrongKey = await client.PostAsync("/users/track", UsersTrack("u-1"), key: "sk-other");
        var unknown = await client.PostAsync("/users/teleport", "{}");
        var notAnObject = await client.PostAsync("/users/track", "[1]");
        var tooMany = await client.PostAsync("/users/track", UsersTrack([.. Enumerable.Range(0, 76).Select(i => $"u-{i}")]));
        var partial = await client.PostAsync("/users/track", """{"attributes":[{"external_id":"u-1","plan":"gold"},{"plan":"no id"}]}""");

        Assert.Equal(
            [HttpStatusCode.Unauthorized, HttpStatusCode.NotFound, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.Created],
            new[] { wrongKey, unknown, notAnObject, tooMany, partial }.Select(r => r.StatusCode));
        Assert.Contains("Max Input Length Exceeded", await tooMany.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var partialBody = System.Text.Json.Nodes.JsonNode.Parse(await partial.Content.ReadAsStringAsync())!;
        Assert.Equal(("success", 1, 1), (partialBody["message"]!.GetValue<string>(), partialBody["attributes_processed"]!.GetValue<int>(), partialBody["errors"]![0]!["index"]!.GetValue<int>()));
        Assert.Equal(["u-1"], sandbox.AppliedObjects.Select(o => o.User));
    }
}
