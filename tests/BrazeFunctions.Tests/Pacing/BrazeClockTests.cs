using BrazeFunctions.Core.Pacing;

namespace BrazeFunctions.Tests.Pacing;

public sealed class BrazeClockTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ToLocal_NoDateSeen_AddsTheFallbackMargin()
    {
        Assert.Equal(T + BrazeClock.FallbackMargin, new BrazeClock().ToLocal(T));
    }

    [Fact]
    public void ToLocal_AfterAnswers_IsNeverEarlyAndTightensAcrossSecondBoundaries()
    {
        // Our clock runs 2.3 s ahead of Braze's; answers take 20 ms; Date is Braze's time cut to the second.
        var offset = TimeSpan.FromMilliseconds(2300);
        var clock = new BrazeClock();
        foreach (var brazeMs in new[] { 100, 450, 990, 1005, 1500 })
        {
            var brazeTime = T.AddMilliseconds(brazeMs);
            var date = DateTimeOffset.FromUnixTimeSeconds(brazeTime.ToUnixTimeSeconds());
            clock.Observe(brazeTime + offset + TimeSpan.FromMilliseconds(20), date);
            Assert.True(clock.ToLocal(T) >= T + offset, $"early after the answer at {brazeMs} ms");
        }

        // The answer made 5 ms after a second boundary bounds the offset within 25 ms.
        Assert.Equal(offset + TimeSpan.FromMilliseconds(25), clock.OffsetUpperBound);
    }
}
