using System.Globalization;
using System.Net.Http.Headers;
using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Tests.Braze;

public sealed class RateLimitInfoTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private static HttpResponseHeaders Headers(params (string Name, string Value)[] values)
    {
        using var response = new HttpResponseMessage();
        foreach (var (name, value) in values)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response.Headers;
    }

    private static string Epoch(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void Parse_LowerCaseHeadersAsOverHttp2_ReadsAllThree()
    {
        var info = RateLimitInfo.Parse(Headers(("x-ratelimit-limit", "3000"), ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", Epoch(Now.AddSeconds(3)))), Now);

        Assert.Equal(3000, info.Limit);
        Assert.Equal(0, info.Remaining);
        Assert.Equal(new RateLimitReset(Now.AddSeconds(3), Relative: false), info.ResetWithin(Hour));
        Assert.Null(info.RetryAfter);
    }

    [Fact]
    public void ResetWithin_EpochSecondsNearTheDate_IsAnEpoch()
    {
        var info = RateLimitInfo.Parse(Headers(("Date", Now.ToString("r", CultureInfo.InvariantCulture)), ("X-RATELIMIT-RESET", Epoch(Now.AddMinutes(59)))), Now.AddSeconds(7));

        Assert.Equal(new RateLimitReset(Now.AddMinutes(59), Relative: false), info.ResetWithin(Hour));
    }

    [Fact]
    public void ResetWithin_SecondsRemaining_CountFromTheAnswersDate()
    {
        // Braze's Monthly Active Users pages give the reset as seconds remaining: 45 from the answer's Date, not 1970.
        var info = RateLimitInfo.Parse(Headers(("Date", Now.ToString("r", CultureInfo.InvariantCulture)), ("x-ratelimit-reset", "45")), Now.AddSeconds(2));

        var reset = info.ResetWithin(Hour);

        Assert.Equal(new RateLimitReset(Now.AddSeconds(45), Relative: true), reset);
        Assert.Equal(TimeSpan.FromSeconds(1), reset!.Value.Slack);
    }

    [Fact]
    public void ResetWithin_SecondsRemainingWithoutADate_CountFromTheArrival()
    {
        var info = RateLimitInfo.Parse(Headers(("x-ratelimit-reset", "6")), Now);

        Assert.Equal(new RateLimitReset(Now.AddSeconds(6), Relative: true), info.ResetWithin(Hour));
    }

    [Theory]
    [InlineData("253402300799")] // the year 9999
    [InlineData("999999999999999999")]
    [InlineData("7200")] // seconds remaining, but longer than the horizon
    public void ResetWithin_FurtherThanTheHorizon_IsIgnored(string value)
    {
        var info = RateLimitInfo.Parse(Headers(("Date", Now.ToString("r", CultureInfo.InvariantCulture)), ("x-ratelimit-reset", value)), Now);

        Assert.Null(info.ResetWithin(Hour));
    }

    [Fact]
    public void ResetWithin_AnEpochLongPast_IsIgnored()
    {
        var info = RateLimitInfo.Parse(Headers(("x-ratelimit-reset", Epoch(Now.AddDays(-1)))), Now);

        Assert.Null(info.ResetWithin(Hour));
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

    [Fact]
    public void Parse_RetryAfterHttpDate_CountsFromBrazesDateNotOurClock()
    {
        // Our clock runs 20 s ahead of Braze's: the retry date is 30 s after Braze's Date, so the wait is 30 s.
        var info = RateLimitInfo.Parse(Headers(("Date", Now.ToString("r", CultureInfo.InvariantCulture)), ("Retry-After", Now.AddSeconds(30).ToString("r", CultureInfo.InvariantCulture))), Now.AddSeconds(20));

        Assert.Equal(TimeSpan.FromSeconds(30), info.RetryAfter);
    }

    [Theory]
    [InlineData("X-RateLimit-Retry-After")]
    [InlineData("x-ratelimit-retry-after")]
    [InlineData("X-RateLimit-RetryAfter")]
    [InlineData("x-ratelimit-retryafter")]
    public void Parse_BothSpellingsOfTheRateLimitRetryWait_AreRead(string name)
    {
        var info = RateLimitInfo.Parse(Headers((name, "7")), Now);

        Assert.Equal(TimeSpan.FromSeconds(7), info.RetryAfter);
    }

    [Fact]
    public void Parse_SeveralRetryWaits_TheLongestWins()
    {
        var info = RateLimitInfo.Parse(Headers(("Retry-After", "5"), ("X-RateLimit-Retry-After", "42"), ("X-RateLimit-RetryAfter", "9")), Now);

        Assert.Equal(TimeSpan.FromSeconds(42), info.RetryAfter);
    }

    [Fact]
    public void Parse_RetryWaitOfTwoDays_IsReadAsIsAndLeftToThePacersBound()
    {
        var info = RateLimitInfo.Parse(Headers(("Retry-After", "172800")), Now);

        Assert.Equal(TimeSpan.FromDays(2), info.RetryAfter);
    }

    [Theory]
    [InlineData("99999999999999999999999")]
    [InlineData("1e308")]
    public void Parse_HugeRetryWait_IsCappedWithoutOverflow(string value)
    {
        var info = RateLimitInfo.Parse(Headers(("X-RateLimit-Retry-After", value)), Now);

        Assert.True(info.RetryAfter is null || info.RetryAfter <= TimeSpan.FromDays(3650));
        _ = Now + (info.RetryAfter ?? TimeSpan.Zero);
    }

    [Theory]
    [InlineData("x-ratelimit-reset", "soon")]
    [InlineData("x-ratelimit-reset", "-5")]
    [InlineData("x-ratelimit-remaining", "1.5")]
    [InlineData("x-ratelimit-limit", "-1")]
    [InlineData("retry-after", "tomorrow-ish")]
    [InlineData("retry-after", "-30")]
    [InlineData("x-ratelimit-retry-after", "-30")]
    [InlineData("x-ratelimit-retryafter", "NaN")]
    public void Parse_GarbageValues_AreIgnored(string name, string value)
    {
        var info = RateLimitInfo.Parse(Headers((name, value)), Now);

        Assert.Equal((null, null, null, null), (info.Limit, info.Remaining, info.ResetValue, info.RetryAfter));
    }

    [Fact]
    public void Parse_NoDate_KeepsTheArrivalAsTheReference()
    {
        var info = RateLimitInfo.Parse(Headers(("x-ratelimit-reset", "3")), Now);

        Assert.Null(info.ServerDate);
        Assert.Equal(Now, info.ObservedAt);
    }
}
