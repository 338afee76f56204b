using BrazeFunctions.Core.Pacing;

namespace BrazeFunctions.Tests.Pacing;

/// <summary>The relay's randomness for jitter: numbers in [0, 1) that spread, not a constant.</summary>
public sealed class SharedRandomSourceTests
{
    [Fact]
    public void NextDouble_ManyDraws_StayInZeroToOneAndSpreadOverIt()
    {
        var source = new SharedRandomSource();

        var draws = Enumerable.Range(0, 10_000).Select(_ => source.NextDouble()).ToList();

        Assert.All(draws, d => Assert.InRange(d, 0.0, Math.BitDecrement(1.0)));
        // Ten equal bins each get some draws: a constant, or a source stuck in one part of the range, fails this.
        var bins = draws.GroupBy(d => (int)(d * 10)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Enumerable.Range(0, 10), bins.Keys.Order());
        Assert.All(bins.Values, count => Assert.InRange(count, 500, 1500));
    }
}
