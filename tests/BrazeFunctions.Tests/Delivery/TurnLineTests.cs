using BrazeFunctions.Core.Delivery;

namespace BrazeFunctions.Tests.Delivery;

public sealed class TurnLineTests
{
    private readonly TurnLine _line = new();

    [Fact]
    public void Join_NobodyAtThePacer_GetsTheTurnAtOnce_ThenOthersWaitBehindIt()
    {
        var first = _line.Join();
        var second = _line.Join();
        var third = _line.Join();

        Assert.True(first.Task.IsCompleted);
        Assert.False(second.Task.IsCompleted);
        Assert.Equal((3, 1, 2), (_line.Ahead, _line.AheadOf(second), _line.AheadOf(third)));
    }

    [Fact]
    public void Pass_GivesTheTurnToTheNextThatStillWaits_SkippingThoseThatGaveUp()
    {
        _line.Join();
        var gaveUp = _line.Join();
        var next = _line.Join();
        gaveUp.TrySetCanceled();
        Assert.Equal(1, _line.AheadOf(next));

        _line.Pass();

        Assert.True(next.Task.IsCompletedSuccessfully);
        Assert.Equal(1, _line.Ahead);
    }

    [Fact]
    public void Pass_NobodyWaiting_FreesTheLine()
    {
        _line.Join();

        _line.Pass();

        Assert.Equal(0, _line.Ahead);
        Assert.True(_line.Join().Task.IsCompleted);
    }
}
