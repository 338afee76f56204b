using BrazeFunctions.Core.Pacing;

namespace BrazeFunctions.Tests.Pacing;

public sealed class BrazeClockTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Bounds_NoDateSeen_AssumeEqualClocksWithinTheFallbackMargin()
    {
        var clock = new BrazeClock();

        Assert.Equal(T + BrazeClock.FallbackMargin, clock.Latest(T));
        Assert.Equal(T - BrazeClock.FallbackMargin, clock.Earliest(T));
    }

    [Fact]
    public void Bounds_AfterAnswers_BracketTheTrueOffsetAndTightenAcrossSecondBoundaries()
    {
        // Our clock runs 2.3 s ahead of Braze's; requests take 10 ms each way; Date is Braze's time cut to the second.
        var offset = TimeSpan.FromMilliseconds(2300);
        var leg = TimeSpan.FromMilliseconds(10);
        var clock = new BrazeClock();
        foreach (var brazeMs in new[] { 100, 450, 995, 1005, 1500 })
        {
            var generated = T.AddMilliseconds(brazeMs);
            var date = DateTimeOffset.FromUnixTimeSeconds(generated.ToUnixTimeSeconds());
            clock.Observe(generated + offset - leg, generated + offset + leg, date);
            Assert.True(clock.Latest(T) >= T + offset, $"next window opened early after the answer at {brazeMs} ms");
            Assert.True(clock.Earliest(T) <= T + offset, $"window spent too late after the answer at {brazeMs} ms");
        }

        // The answers made 5 ms either side of a second boundary bound the offset within 15 ms on each side.
        Assert.Equal((offset - TimeSpan.FromMilliseconds(15), offset + TimeSpan.FromMilliseconds(15)), clock.OffsetBounds);
    }
}
