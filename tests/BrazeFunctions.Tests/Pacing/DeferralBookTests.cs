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

    [Fact]
    public void Book_SlotLearnedShorterAfterSomeLeft_LaterLeaversArePlacedAtTheLearnedPace()
    {
        // Three leavers booked while the window's length was unknown, a second each.
        Assert.Equal(Start.AddSeconds(1), _book.Book(Start.AddSeconds(1), Slot, weight: 1));
        Assert.Equal(Start.AddSeconds(2), _book.Book(Start.AddSeconds(1), Slot, weight: 1));
        Assert.Equal(Start.AddSeconds(3), _book.Book(Start.AddSeconds(1), Slot, weight: 1));

        // The window is learned: 50 ms a slot. The fourth comes back three such slots after the first, not after 3 s.
        var learned = TimeSpan.FromMilliseconds(50);
        Assert.Equal(Start.AddMilliseconds(1150), _book.Book(Start.AddSeconds(1), learned, weight: 1));
        Assert.Equal(Start.AddMilliseconds(1200), _book.Book(Start.AddSeconds(1), learned, weight: 1));
    }

    [Fact]
    public void Book_SlotLearnedLonger_LaterLeaversComeBackAfterThePromisedSlotsAtTheLongerPace()
    {
        _book.Book(Start.AddSeconds(6), Slot, weight: 1);
        _book.Book(Start.AddSeconds(6), Slot, weight: 1);

        Assert.Equal(Start.AddSeconds(10), _book.Book(Start.AddSeconds(6), TimeSpan.FromSeconds(2), weight: 1));
    }
}
