using System.Globalization;
using System.Net;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.Time.Testing;
using static BrazeFunctions.IntegrationTests.Infrastructure.SandboxClient;

namespace BrazeFunctions.IntegrationTests.Sandbox;

/// <summary>The header dialects Braze's pages describe, each chosen per bucket, and the hostile answers for clients' bounds.</summary>
public sealed class SandboxDialectTests
{
    private const string Key = "sk-sandbox-test";

    /// <summary>1,800,000,001 s since the epoch: a 3-second window ends 2 s later, at 1,800,000,003.</summary>
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_800_000_001);

    [Theory]
    [InlineData("reset=epoch", "1800000003")]
    [InlineData("reset=remaining", "2")]
    public async Task Answer_ResetStyle_WritesEpochSecondsOrSecondsRemaining(string style, string expected)
    {
        await using var sandbox = await BrazeSandbox.StartAsync(new FakeTimeProvider(Start), Key);
        sandbox.SetDialect(BrazeBucket.UsersTrack, HeaderDialect.Parse(style, HeaderDialect.Default));
        using var client = new SandboxClient(sandbox);

        var answer = await client.PostAsync("/users/track", UsersTrack("u-1"));

        Assert.Equal(expected, Header(answer, "X-RateLimit-Reset"));
        Assert.Equal(Start, answer.Headers.Date);
    }

    [Theory]
    [InlineData("retry-after=x-ratelimit-retry-after", "X-RateLimit-Retry-After", "2")]
    [InlineData("retry-after=x-ratelimit-retryafter", "X-RateLimit-RetryAfter", "2")]
    [InlineData("retry-after=retry-after", "Retry-After", "2")]
    [InlineData("retry-after=retry-after-date", "Retry-After", "Fri, 15 Jan 2027 08:00:03 GMT")]
    public async Task Answer_LimitSpent_429CarriesTheWaitInTheDialectsHeader(string style, string header, string expected)
    {
        await using var sandbox = await BrazeSandbox.StartAsync(new FakeTimeProvider(Start), Key);
        sandbox.SetLimit(BrazeBucket.UsersTrack, 1, TimeSpan.FromSeconds(3));
        sandbox.SetDialect(BrazeBucket.UsersTrack, HeaderDialect.Parse(style, HeaderDialect.Default));
        using var client = new SandboxClient(sandbox);

        var allowed = await client.PostAsync("/users/track", UsersTrack("u-1"));
        var limited = await client.PostAsync("/users/track", UsersTrack("u-2"));

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.TooManyRequests), (allowed.StatusCode, limited.StatusCode));
        Assert.Equal(expected, Header(limited, header));
        Assert.Null(Header(allowed, header));
        Assert.Equal("1800000003", Header(limited, "X-RateLimit-Reset"));
    }

    [Fact]
    public async Task Answer_429WithoutTrio_SendsOnlyTheRetryHeader()
    {
        await using var sandbox = await BrazeSandbox.StartAsync(new FakeTimeProvider(Start), Key);
        sandbox.SetLimit(BrazeBucket.Subscription, 0, TimeSpan.FromSeconds(60));
        sandbox.SetDialect(BrazeBucket.Subscription, new HeaderDialect(RetryAfter: RetryAfterStyle.XRateLimitRetryAfterUnhyphenated, TrioOn429: false));
        using var client = new SandboxClient(sandbox);

        var limited = await client.PostAsync("/subscription/status/set", """{"subscription_group_id":"g","subscription_state":"subscribed","external_id":"u-1"}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("59", Header(limited, "X-RateLimit-RetryAfter"));
        Assert.DoesNotContain(limited.Headers, h => h.Key.StartsWith("X-RateLimit-", StringComparison.OrdinalIgnoreCase) && h.Key != "X-RateLimit-RetryAfter");
    }

    [Fact]
    public async Task Answer_LowerCaseAndNoDate_WireHasLowerCaseNamesAndNoDateLine()
    {
        await using var sandbox = await BrazeSandbox.StartAsync(new FakeTimeProvider(Start), Key);
        sandbox.SetDialect(BrazeBucket.Identity, new HeaderDialect(Reset: ResetStyle.SecondsRemaining, LowerCaseNames: true, SendDate: false));
        using var client = new SandboxClient(sandbox);

        var identity = await client.RawHeadAsync("/users/identify", """{"aliases_to_identify":[]}""");
        var track = await client.RawHeadAsync("/users/track", UsersTrack("u-1"));

        Assert.Equal("HTTP/1.1 201 Created", identity[0]);
        Assert.Contains("x-ratelimit-limit: 20000", identity);
        Assert.Contains("x-ratelimit-reset: 59", identity);
        Assert.DoesNotContain(identity, line => line.StartsWith("Date:", StringComparison.OrdinalIgnoreCase) || line.StartsWith("X-Sandbox", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("X-RateLimit-Limit: 3000", track);
        Assert.Contains("Date: " + Start.ToString("r", CultureInfo.InvariantCulture), track);
    }

    [Fact]
    public async Task Answer_HostileRetryAfterTwoDays_Says172800ButTheBucketReopensAtItsWindowEnd()
    {
        var clock = new FakeTimeProvider(Start);
        await using var sandbox = await BrazeSandbox.StartAsync(clock, Key);
        sandbox.SetDialect(BrazeBucket.UsersTrack, new HeaderDialect(RetryAfter: RetryAfterStyle.XRateLimitRetryAfter));
        sandbox.Script(HostileAnswers.RetryAfterTwoDays());
        using var client = new SandboxClient(sandbox);

        var hostile = await client.PostAsync("/users/track", UsersTrack("u-1"));
        clock.Advance(TimeSpan.FromSeconds(2));
        var after = await client.PostAsync("/users/track", UsersTrack("u-1"));

        Assert.Equal((HttpStatusCode.TooManyRequests, "172800"), (hostile.StatusCode, Header(hostile, "X-RateLimit-Retry-After")));
        Assert.Equal(HttpStatusCode.Created, after.StatusCode);
    }

    [Theory]
    [InlineData("reset-year-9999", HttpStatusCode.Created, "X-RateLimit-Reset", "253402300799")]
    [InlineData("rate-limited-until-year-9999", HttpStatusCode.TooManyRequests, "X-RateLimit-Reset", "253402300799")]
    [InlineData("negative", HttpStatusCode.Created, "X-RateLimit-Remaining", "-1")]
    [InlineData("negative-429", HttpStatusCode.TooManyRequests, "Retry-After", "-30")]
    [InlineData("garbage", HttpStatusCode.Created, "X-RateLimit-Reset", "tomorrow")]
    [InlineData("garbage-429", HttpStatusCode.TooManyRequests, "X-RateLimit-Limit", "lots")]
    public async Task Answer_HostileKind_SendsThatValueAndAppliesOnlyA2xx(string kind, HttpStatusCode status, string header, string value)
    {
        await using var sandbox = await BrazeSandbox.StartAsync(new FakeTimeProvider(Start), Key);
        sandbox.Script(HostileAnswers.Create(kind));
        using var client = new SandboxClient(sandbox);

        var answer = await client.PostAsync("/users/track", UsersTrack("u-1"));

        Assert.Equal(status, answer.StatusCode);
        Assert.Equal(value, Header(answer, header));
        Assert.Equal(status == HttpStatusCode.Created ? 1 : 0, sandbox.AppliedObjects.Count);
    }

    [Fact]
    public void Parse_Tokens_BuildTheDialectAndRejectUnknownOnes()
    {
        var dialect = HeaderDialect.Parse("reset=remaining, retry-after=retry-after-date,no-trio-on-429,lower-case,no-date", HeaderDialect.Default);

        Assert.Equal(new HeaderDialect(ResetStyle.SecondsRemaining, RetryAfterStyle.RetryAfterHttpDate, TrioOn429: false, LowerCaseNames: true, SendDate: false), dialect);
        Assert.Equal(dialect, HeaderDialect.Parse(dialect.ToString(), HeaderDialect.Default));
        Assert.Contains("'upper-case'", Assert.Throws<FormatException>(() => HeaderDialect.Parse("upper-case", HeaderDialect.Default)).Message, StringComparison.Ordinal);
    }
}
