using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Pacing;
using Microsoft.Extensions.Logging.Abstractions;
using static BrazeFunctions.Tests.Pacing.PacingKit;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>The batcher's lines: a place the pacer forecasts in time waits its turn; one beyond leaves at once with the forecast.</summary>
public sealed class BudgetLinesTests
{
    [Fact]
    public async Task Join_PlacesWithinTheShortWaitWait_LaterOnesLeaveAtOnceAfterTheSlotsPromisedToEarlierLeavers()
    {
        // 3 requests per 3-s window, this instance alone: one a second, so about five places fit in the 5-s short wait.
        var rig = new Rig(new PacingOptions { ShortRateLimitWait = TimeSpan.FromSeconds(5), RateLimitJitter = TimeSpan.Zero });
        foreach (var _ in new[] { 0, 1 })
        {
            using (var lease = await rig.AcquireAsync())
            {
                await lease.CompleteAsync(Answer(rig.Now, 201, limit: 3, remaining: 2), default);
            }

            rig.Time.Advance(TimeSpan.FromSeconds(3));
        }

        var lines = new BudgetLines(rig.Pacer, rig.Time, NullLogger.Instance);
        var joined = Enumerable.Range(0, 9).Select(i => lines.Join(Request(), messages: 1, weight: i < 8 ? 1 : 0.5)).ToList();
        var last = lines.Join(Request(), messages: 1, weight: 1);

        Assert.True(joined[0].Turn!.Task.IsCompleted);
        Assert.All(joined.Take(6), j => Assert.Null(j.LeftAtOnce));
        Assert.All(joined.Skip(6), j => Assert.Equal((false, PaceReason.Line), (j.LeftAtOnce!.IsAcquired, j.LeftAtOnce.Reason)));
        // Leavers take no place in the line: each is told the first slot not promised to one before it.
        Assert.Equal([TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(8)], joined.Skip(6).Select(j => j.LeftAtOnce!.RetryAfter));
        // A half-full batch books half a slot.
        Assert.Equal(TimeSpan.FromSeconds(8.5), last.LeftAtOnce!.RetryAfter);
    }

    [Fact]
    public async Task AcquireInTurn_AtTheFront_AsksThePacerAndPassesTheTurnOn()
    {
        var rig = new Rig(new PacingOptions());
        var lines = new BudgetLines(rig.Pacer, rig.Time, NullLogger.Instance);
        var front = lines.Join(Request(), messages: 1, weight: 1).Turn!;
        var behind = lines.Join(Request(), messages: 1, weight: 1).Turn!;

        using var lease = await lines.AcquireInTurnAsync(Request(), front, () => 1, default);

        Assert.True(lease.IsAcquired);
        Assert.True(behind.Task.IsCompleted);
    }
}
