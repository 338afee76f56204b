using BrazeFunctions.Core.Pacing;
using static BrazeFunctions.Tests.Pacing.PacingKit;

namespace BrazeFunctions.Tests.Pacing;

/// <summary>The lane only locks the model and wakes its waiters; the decisions are the model's.</summary>
public sealed class PaceLaneTests
{
    private static readonly PacePolicy Alone = new(Share: 1, InitialRequests: 1, UseLedger: false);
    private readonly PaceLane _lane = new(new BrazeClock());

    [Fact]
    public void Learn_WakesTheRequestsWaitingOnTheLane()
    {
        var (step, _, _, _, _) = _lane.Decide(Start, Alone, phase: 0);
        var (waiting, _, _, _, changed) = _lane.Decide(Start, Alone, phase: 0);
        Assert.Equal(PaceReason.FirstHeaders, waiting.Reason);
        Assert.False(changed.IsCompleted);

        _lane.Learn(step.Grant!, Answer(Start, 201), Start, TimeSpan.FromSeconds(3), TimeSpan.FromHours(1));

        Assert.True(changed.IsCompleted);
        Assert.Equal(PaceStepKind.Grant, _lane.Decide(Start, Alone, phase: 0).Step.Kind);
    }

    [Fact]
    public void Release_WakesTheRequestsWaitingOnTheLane()
    {
        var grant = _lane.Decide(Start, Alone, phase: 0).Step.Grant!;
        var changed = _lane.Decide(Start, Alone, phase: 0).Changed;

        _lane.Release(grant);

        Assert.True(changed.IsCompleted);
    }

    [Fact]
    public void Close_ThenDecide_ReportsTheHoldAndTheForecastStartsAfterIt()
    {
        _lane.Close(Start.AddSeconds(20), PaceReason.RateLimited, probeFirst: false);

        Assert.Equal(PaceStep.Wait(PaceReason.RateLimited, Start.AddSeconds(20)), _lane.Decide(Start, Alone, phase: 0).Step);
        Assert.Equal(TimeSpan.FromSeconds(20), _lane.ClosedFor(Start));
        Assert.Equal(TimeSpan.FromSeconds(20), _lane.Forecast(Start, 0, share: 1));
    }
}
