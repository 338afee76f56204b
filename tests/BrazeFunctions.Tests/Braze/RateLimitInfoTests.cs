using System.Net.Http.Headers;
using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Tests.Braze;

public sealed class RateLimitInfoTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    private static HttpResponseHeaders Headers(params (string Name, string Value)[] values)
    {
        using var response = new HttpResponseMessage();
        foreach (var (name, value) in values)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response.Headers;
    }

    [Fact]
    public void Parse_LowerCaseHeadersAsOverHttp2_ReadsAllThree()
    {
        var reset = Now.AddSeconds(3).ToUnixTimeSeconds();

        var info = RateLimitInfo.Parse(Headers(("x-ratelimit-limit", "3000"), ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", reset.ToString(System.Globalization.CultureInfo.InvariantCulture))), Now);

        Assert.Equal(3000, info.Limit);
        Assert.Equal(0, info.Remaining);
        Assert.Equal(Now.AddSeconds(3), info.Reset);
        Assert.Null(info.RetryAfter);
    }

    [Fact]
    public void Parse_MixedCaseHeaders_AreMatched()
    {
        var info = RateLimitInfo.Parse(Headers(("X-RATELIMIT-REMAINING", "17"), ("X-RateLimit-Reset", "1798538400")), Now);

        Assert.Equal(17, info.Remaining);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1798538400), info.Reset);
    }

    [Theory]
    [InlineData("120", 120)]
    [InlineData(" 5 ", 5)]
    [InlineData("Sun, 29 Nov 2026 10:00:30 GMT", 30)]
    [InlineData("Sun, 29 Nov 2026 09:59:00 GMT", 0)]
    public void Parse_RetryAfterSecondsOrHttpDate_BecomesADuration(string value, int expectedSeconds)
    {
        var info = RateLimitInfo.Parse(Headers(("retry-after", value)), Now);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), info.RetryAfter);
    }

    [Theory]
    [InlineData("5", "42", 42)]
    [InlineData("42", "5", 42)]
    [InlineData(null, "Sun, 29 Nov 2026 10:00:30 GMT", 30)]
    public void Parse_XRateLimitRetryAfter_IsReadLikeRetryAfterAndTheLaterOfBothWins(string? retryAfter, string rateLimitRetryAfter, int expectedSeconds)
    {
        var headers = retryAfter is null
            ? Headers(("x-ratelimit-retry-after", rateLimitRetryAfter))
            : Headers(("Retry-After", retryAfter), ("X-RateLimit-Retry-After", rateLimitRetryAfter));

        var info = RateLimitInfo.Parse(headers, Now);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), info.RetryAfter);
    }

    [Theory]
    [InlineData("x-ratelimit-reset", "soon")]
    [InlineData("x-ratelimit-reset", "-5")]
    [InlineData("x-ratelimit-remaining", "1.5")]
    [InlineData("retry-after", "tomorrow-ish")]
    public void Parse_GarbageValues_AreIgnored(string name, string value)
    {
        var info = RateLimitInfo.Parse(Headers((name, value)), Now);

        Assert.Equal(RateLimitInfo.None, info);
    }

    [Fact]
    public void WaitAfterRateLimit_ResetAndRetryAfter_TakesTheLater()
    {
        var info = new RateLimitInfo(10, 0, Now.AddSeconds(4), TimeSpan.FromSeconds(9));

        Assert.Equal(TimeSpan.FromSeconds(9), info.WaitAfterRateLimit(Now, TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromSeconds(4), (info with { RetryAfter = TimeSpan.FromSeconds(2) }).WaitAfterRateLimit(Now, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void WaitAfterRateLimit_ResetInThePast_IsZero()
    {
        var info = new RateLimitInfo(10, 0, Now.AddSeconds(-2), null);

        Assert.Equal(TimeSpan.Zero, info.WaitAfterRateLimit(Now, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void WaitAfterRateLimit_NoHeaders_UsesTheFallback()
    {
        Assert.Equal(TimeSpan.FromSeconds(3), RateLimitInfo.None.WaitAfterRateLimit(Now, TimeSpan.FromSeconds(3)));
    }
}
