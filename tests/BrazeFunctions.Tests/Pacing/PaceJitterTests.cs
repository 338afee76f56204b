using BrazeFunctions.Core.Pacing;
using static BrazeFunctions.Tests.Pacing.PacingKit;

namespace BrazeFunctions.Tests.Pacing;

public sealed class PaceJitterTests
{
    private static readonly PacingOptions Options = new() { RateLimitJitter = TimeSpan.FromMilliseconds(500) };

    [Theory]
    [InlineData(0.0, 10_000)]
    [InlineData(0.5, 10_000 + 250 + 500)]
    [InlineData(0.999, 10_000 + 499.5 + 999)]
    public void Defer_SpreadsByUpToTheJitterPlusATenthOfTheWait(double random, double expectedMs)
    {
        var jitter = new PaceJitter(new FixedRandom(random), Microsoft.Extensions.Options.Options.Create(Options));

        Assert.Equal(expectedMs, jitter.Defer(TimeSpan.FromSeconds(10)).TotalMilliseconds, precision: 3);
    }

    [Fact]
    public void Defer_NegativeWait_IsAtLeastZero()
    {
        var jitter = new PaceJitter(new FixedRandom(0), Microsoft.Extensions.Options.Options.Create(Options));

        Assert.Equal(TimeSpan.Zero, jitter.Defer(TimeSpan.FromSeconds(-3)));
    }

    [Fact]
    public void Stagger_AddsOnlyUpToTheJitter()
    {
        var jitter = new PaceJitter(new FixedRandom(0.5), Microsoft.Extensions.Options.Options.Create(Options));

        Assert.Equal(TimeSpan.FromMilliseconds(10_250), jitter.Stagger(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void AfterContention_StaysWithinHalfToOneAndAHalfOfTheBackoff()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(50), new PaceJitter(new FixedRandom(0), Microsoft.Extensions.Options.Options.Create(Options)).AfterContention());
        Assert.Equal(TimeSpan.FromMilliseconds(150), new PaceJitter(new FixedRandom(1), Microsoft.Extensions.Options.Options.Create(Options)).AfterContention());
    }
}
