using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Pacing;
using static BrazeFunctions.Tests.Pacing.PacingKit;

namespace BrazeFunctions.Tests.Pacing;

public sealed class HoldRuleTests
{
    private static readonly TimeSpan Fallback = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxHold = TimeSpan.FromHours(1);
    private readonly BrazeClock _clock = new();

    [Fact]
    public void After429_RetryWaitPresent_DecidesEvenWhenTheResetIsLater()
    {
        // On contracts whose headers describe the hourly limit, a 429 from the burst limit speaks through its retry wait.
        var hold = HoldRule.After429(Info(reset: 1800, retryAfter: TimeSpan.FromSeconds(2)), Start, _clock, Fallback, MaxHold);

        Assert.Equal(new Hold(Start.AddSeconds(2), Capped: false), hold);
    }

    [Fact]
    public void After429_OnlyAReset_HoldsUntilTheLatestItCanBeOnOurClock()
    {
        var hold = HoldRule.After429(Info(reset: 30), Start, _clock, Fallback, MaxHold);

        Assert.Equal(new Hold(Start.AddSeconds(30) + BrazeClock.FallbackMargin, Capped: false), hold);
    }

    [Fact]
    public void After429_NeitherReadable_UsesTheFallback()
    {
        Assert.Equal(new Hold(Start + Fallback, Capped: false), HoldRule.After429(RateLimitInfo.None, Start, _clock, Fallback, MaxHold));
    }

    [Fact]
    public void After429_ResetInTheYear9999_IsIgnoredForTheFallback()
    {
        var info = new RateLimitInfo(10, 0, 253402300799, null) { ServerDate = Start, ObservedAt = Start };

        Assert.Equal(new Hold(Start + Fallback, Capped: false), HoldRule.After429(info, Start, _clock, Fallback, MaxHold));
    }

    [Fact]
    public void After429_LongerThanTheBound_IsCutAndMarkedForAProbe()
    {
        var hold = HoldRule.After429(Info(retryAfter: TimeSpan.FromDays(2)), Start, _clock, Fallback, TimeSpan.FromSeconds(15));

        Assert.Equal(new Hold(Start.AddSeconds(15), Capped: true), hold);
    }

    [Fact]
    public void After429_ResetAlreadyPast_HoldsNoLongerThanTheClocksMargin()
    {
        var hold = HoldRule.After429(Info(reset: -30), Start, _clock, Fallback, MaxHold);

        Assert.Equal(Start, hold.Until);
    }

    private static RateLimitInfo Info(int? reset = null, TimeSpan? retryAfter = null) =>
        new(10, 0, reset is { } seconds ? Start.AddSeconds(seconds).ToUnixTimeSeconds() : null, retryAfter) { ServerDate = Start, ObservedAt = Start };
}
