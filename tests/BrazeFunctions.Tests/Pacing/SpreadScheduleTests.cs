using BrazeFunctions.Core.Pacing;
using static BrazeFunctions.Tests.Pacing.PacingKit;

namespace BrazeFunctions.Tests.Pacing;

public sealed class SpreadScheduleTests
{
    // A 3-s window ending at 9 s whose spending stops at 8 s: 6 requests over the 2 s before the guard band.
    private static readonly DateTimeOffset Ends = Start.AddSeconds(9);
    private static readonly DateTimeOffset Closes = Start.AddSeconds(8);

    [Fact]
    public void At_LengthUnknown_ReleasesEverythingNow()
    {
        Assert.Equal((6L, Start), SpreadSchedule.At(6, null, Ends, Closes, Start, phase: 0.5, sent: 0));
    }

    [Theory]
    [InlineData(6000, 0.0, 0, 1, 6333)]
    [InlineData(6500, 0.0, 1, 2, 6667)]
    [InlineData(7999, 0.0, 3, 6, 8000)]
    [InlineData(6000, 0.5, 0, 0, 6167)]
    public void At_LengthKnown_ReleasesTheBudgetEvenlyFromThePhase(int nowMs, double phase, long sent, long allowed, int nextMs)
    {
        var (released, next) = SpreadSchedule.At(6, 3, Ends, Closes, Start.AddMilliseconds(nowMs), phase, sent);

        Assert.Equal(allowed, released);
        Assert.Equal(nextMs, (next - Start).TotalMilliseconds, precision: 0);
    }

    [Fact]
    public void At_GuardBandLongerThanTheWindow_StillSpreadsOverAQuarterOfIt()
    {
        var (_, next) = SpreadSchedule.At(4, 4, Start.AddSeconds(4), Start.AddSeconds(-1), Start, phase: 0, sent: 1);

        Assert.Equal(Start.AddMilliseconds(250), next);
    }
}
