using BrazeFunctions.Core.Pacing;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.Tests.Pacing;

/// <summary>One call for budget on a fake clock: a wait that began before the call counts against the time it may wait.</summary>
public sealed class PaceAttemptTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Left_FreshCall_IsTheMaxWaitLessTheTimeSinceTheCall()
    {
        var attempt = new PaceAttempt(_time, waitingSince: null, TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(TimeSpan.FromSeconds(2), attempt.Elapsed);
        Assert.Equal(TimeSpan.FromSeconds(3), attempt.Left);
        Assert.False(attempt.Waited);
    }

    [Fact]
    public void Left_WaitBegunBeforeTheCall_CountsThatWaitAndMarksItWaited()
    {
        var since = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromSeconds(4));

        var attempt = new PaceAttempt(_time, since, TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.FromSeconds(1), attempt.Left);
        Assert.True(attempt.Waited);
    }

    [Fact]
    public void Waited_WaitBegunThisVeryTick_IsNotAWaitYet()
    {
        var attempt = new PaceAttempt(_time, _time.GetTimestamp(), TimeSpan.FromSeconds(5));

        Assert.False(attempt.Waited);
        Assert.Equal(TimeSpan.FromSeconds(5), attempt.Left);
    }
}
