using BrazeFunctions.Cli;

namespace BrazeFunctions.Tests.Cli;

public sealed class SinceParserTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("90s", "2026-12-05T11:58:30Z")]
    [InlineData("30m", "2026-12-05T11:30:00Z")]
    [InlineData("6h", "2026-12-05T06:00:00Z")]
    [InlineData("2d", "2026-12-03T12:00:00Z")]
    [InlineData("2026-12-01T08:00:00Z", "2026-12-01T08:00:00Z")]
    [InlineData("2026-12-01T08:00:00", "2026-12-01T08:00:00Z")] // no offset: UTC
    [InlineData("2026-12-01T09:00:00+01:00", "2026-12-01T08:00:00Z")]
    public void TryParse_AgeOrTime_GivesTheInstant(string text, string expected)
    {
        Assert.True(SinceParser.TryParse(text, Now, out var since));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), since);
    }

    [Theory]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("5w")]
    [InlineData("-3h")]
    public void TryParse_Neither_Fails(string text)
    {
        Assert.False(SinceParser.TryParse(text, Now, out _));
    }
}
