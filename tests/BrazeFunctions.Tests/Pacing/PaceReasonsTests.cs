using BrazeFunctions.Core.Pacing;

namespace BrazeFunctions.Tests.Pacing;

/// <summary>The names logs and metric tags give each reason to wait.</summary>
public sealed class PaceReasonsTests
{
    [Theory]
    [InlineData(nameof(PaceReason.None), "none")]
    [InlineData(nameof(PaceReason.FirstHeaders), "first_headers")]
    [InlineData(nameof(PaceReason.Probe), "probe")]
    [InlineData(nameof(PaceReason.WindowBoundary), "window_boundary")]
    [InlineData(nameof(PaceReason.Budget), "budget")]
    [InlineData(nameof(PaceReason.Spread), "spread")]
    [InlineData(nameof(PaceReason.Ledger), "ledger")]
    [InlineData(nameof(PaceReason.RateLimited), "rate_limit")]
    [InlineData(nameof(PaceReason.Credential), "credential")]
    [InlineData(nameof(PaceReason.Line), "line")]
    public void NameOf_EachReason_IsItsTagValue(string reason, string expected)
    {
        Assert.Equal(expected, PaceReasons.NameOf(Enum.Parse<PaceReason>(reason)));
    }

    [Fact]
    public void NameOf_EveryReason_HasANameOfItsOwn()
    {
        // A reason added without a name would fall into "line" and be counted as another reason's wait.
        var names = Enum.GetValues<PaceReason>().Select(PaceReasons.NameOf).ToList();

        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
    }
}
