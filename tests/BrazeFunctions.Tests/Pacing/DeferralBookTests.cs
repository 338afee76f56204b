using BrazeFunctions.Core.Pacing;
using static BrazeFunctions.Tests.Pacing.PacingKit;

namespace BrazeFunctions.Tests.Pacing;

public sealed class DeferralBookTests
{
    private static readonly TimeSpan Slot = TimeSpan.FromSeconds(1);
    private readonly DeferralBook _book = new();

    [Fact]
    public void Book_LeaversForecastForOneInstant_ComeBackOneSlotApart()
    {
        Assert.Equal(Start.AddSeconds(6), _book.Book(Start.AddSeconds(6), Slot, weight: 1));
        Assert.Equal(Start.AddSeconds(7), _book.Book(Start.AddSeconds(6), Slot, weight: 1));
        Assert.Equal(Start.AddSeconds(8), _book.Book(Start.AddSeconds(6), Slot, weight: 0.25));
        Assert.Equal(Start.AddSeconds(8.25), _book.Book(Start.AddSeconds(6), Slot, weight: 1));
    }

    [Fact]
    public void Book_ForecastLaterThanEverythingPromised_IsKept()
    {
        _book.Book(Start.AddSeconds(6), Slot, weight: 1);

        Assert.Equal(Start.AddSeconds(30), _book.Book(Start.AddSeconds(30), Slot, weight: 1));
    }
}
