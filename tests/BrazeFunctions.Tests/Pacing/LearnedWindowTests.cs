using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Pacing;

namespace BrazeFunctions.Tests.Pacing;

public sealed class LearnedWindowTests
{
    private readonly LearnedWindow _window = new();

    [Fact]
    public void Learn_FirstAnswer_SetsTheLimitTheWindowAndWhatRemains()
    {
        _window.Learn(10, 7, Epoch(100), teachesLength: true);

        Assert.Equal((10L, 100L, 7L, (long?)null), (_window.Limit, _window.Id, _window.Remaining, _window.LengthSeconds));
    }

    [Fact]
    public void Learn_SameWindow_KeepsTheLowestRemaining()
    {
        _window.Learn(10, 7, Epoch(100), teachesLength: true);
        _window.Learn(10, 8, Epoch(100), teachesLength: true);
        _window.Learn(10, 4, Epoch(100), teachesLength: true);

        Assert.Equal(4, _window.Remaining);
    }

    [Fact]
    public void Learn_ResetsApartByIdleSpells_ConvergeOnTheLength()
    {
        foreach (var reset in new long[] { 100, 109, 115 })
        {
            _window.Learn(10, 9, Epoch(reset), teachesLength: true);
        }

        Assert.Equal(3, _window.LengthSeconds);
    }

    [Fact]
    public void Learn_OffGridReset_ShrinksTheLengthOnlyUntilItAgesOut()
    {
        _window.Learn(10, 9, Epoch(100), teachesLength: true);
        _window.Learn(10, 9, Epoch(103), teachesLength: true);
        _window.Learn(10, 9, Epoch(104), teachesLength: true);
        Assert.Equal(1, _window.LengthSeconds);

        foreach (var reset in new long[] { 106, 109, 112, 115, 118, 121 })
        {
            _window.Learn(10, 9, Epoch(reset), teachesLength: true);
        }

        Assert.Equal(3, _window.LengthSeconds);
    }

    [Fact]
    public void Learn_PredictedWindowThatHasNotBegun_DropsTheLengthAndLearnsItAgain()
    {
        var clock = new BrazeClock();
        _window.Learn(10, 9, Epoch(100), teachesLength: true);
        _window.Learn(10, 9, Epoch(103), teachesLength: true);
        // Predicted from a length of 3 s: the window ending at 106 s.
        Assert.True(_window.Roll(DateTimeOffset.FromUnixTimeSeconds(105), clock));
        Assert.Equal(106, _window.Id);

        // Braze says the current window ends at 109 s: the 3 s was wrong (the true length is 6 s).
        _window.Learn(10, 3, Epoch(109), teachesLength: true);
        Assert.Equal((109L, 3L, (long?)null), (_window.Id, _window.Remaining, _window.LengthSeconds));

        _window.Learn(10, 9, Epoch(115), teachesLength: true);
        Assert.Equal(6, _window.LengthSeconds);
    }

    [Fact]
    public void Learn_AnswerFromAnEarlierWindow_IsIgnored()
    {
        _window.Learn(10, 5, Epoch(103), teachesLength: true);
        _window.Learn(10, 1, Epoch(100), teachesLength: true);

        Assert.Equal((103L, 5L), (_window.Id, _window.Remaining));
    }

    [Fact]
    public void Learn_429_DoesNotTeachTheLength()
    {
        _window.Learn(10, 9, Epoch(100), teachesLength: true);
        _window.Learn(10, 0, Epoch(101), teachesLength: false);

        Assert.Null(_window.LengthSeconds);
        Assert.Equal((101L, 0L), (_window.Id, _window.Remaining));
    }

    [Fact]
    public void Learn_SecondsRemainingOffByASecond_AreOneWindowAndStillTeachTheLength()
    {
        foreach (var reset in new long[] { 100, 101, 105, 111, 115 })
        {
            _window.Learn(10, 9, Relative(reset), teachesLength: true);
        }

        Assert.Equal(5, _window.LengthSeconds);
        Assert.Equal(TimeSpan.FromSeconds(1), _window.Slack);
    }

    [Fact]
    public void Roll_WindowOverAndLengthUnknown_IsFalse()
    {
        _window.Learn(10, 9, Epoch(100), teachesLength: true);

        Assert.False(_window.Roll(DateTimeOffset.FromUnixTimeSeconds(102), new BrazeClock()));
    }

    [Fact]
    public void Roll_LengthKnown_PredictsTheWindowUnderWayWithItsBudgetWhole()
    {
        _window.Learn(10, 9, Epoch(100), teachesLength: true);
        _window.Learn(10, 2, Epoch(103), teachesLength: true);

        Assert.True(_window.Roll(DateTimeOffset.FromUnixTimeSeconds(110), new BrazeClock()));

        Assert.Equal((112L, (long?)null), (_window.Id, _window.Remaining));
    }

    [Fact]
    public void Learn_NoResetOrNoCounts_TeachesNothing()
    {
        _window.Learn(10, null, Epoch(100), teachesLength: true);
        _window.Learn(null, 5, Epoch(100), teachesLength: true);
        _window.Learn(10, 5, null, teachesLength: true);

        Assert.Equal((0L, (long?)null), (_window.Id, _window.Limit));
    }

    private static RateLimitReset Epoch(long seconds) => new(DateTimeOffset.FromUnixTimeSeconds(seconds), Relative: false);

    private static RateLimitReset Relative(long seconds) => new(DateTimeOffset.FromUnixTimeSeconds(seconds), Relative: true);
}
