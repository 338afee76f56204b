using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Pacing;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Pacing;

/// <summary>
/// No churn (issue 16): a message whose place in its bucket's line the pacer forecasts beyond the short wait leaves at
/// once, deferred by that forecast, instead of first waiting out the short wait. On a fake clock, "at once" means
/// before the clock moved at all.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class LineForecastTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Dispatch_PlaceInLineBeyondTheShortWait_LeavesAtOnceDeferredByTheForecastOfItsPlace()
    {
        // Start on a window boundary of the fake's 2-second windows, 2 requests each: one request a second.
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() / 2 * 2));
        await using var rig = await DispatchRig.StartAsync(azurite, new()
        {
            ["Dispatch:ShortRateLimitWait"] = "00:00:05",
            ["Dispatch:RateLimitJitter"] = "00:00:00",
            ["Dispatch:SharedPacing"] = "false",
        }, time: clock, configure: services => services.Replace(ServiceDescriptor.Singleton<IRandomSource>(new NoRandom())));
        rig.Braze.SetLimit(BrazeBucket.UsersTrack, 2, TimeSpan.FromSeconds(2));
        // Two answers a window apart teach the pacer the window: 2 requests per 2 s.
        foreach (var warmUp in new[] { "w-0", "w-1" })
        {
            Assert.Equal(DispatchOutcome.Delivered, (await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope($"{{\"user_id\":\"{warmUp}\",\"coalesce\":false}}")), 1, default)).Outcome);
            clock.Advance(TimeSpan.FromSeconds(2));
        }

        var start = clock.GetUtcNow();
        var sentBefore = rig.Braze.Requests.Count;
        var runs = Enumerable.Range(0, 12).Select(i => rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope($"{{\"user_id\":\"u-{i}\",\"coalesce\":false}}")), 1, default)).ToList();
        var settled = await SettledAsync(runs);

        // Twelve places at one a second: those forecast beyond 5 s left before the fake clock moved, deferred by the
        // forecast for their place; only the front of the line was sent meanwhile.
        Assert.Equal(start, clock.GetUtcNow());
        var leftAtOnce = settled.Where(r => r.Outcome != DispatchOutcome.Delivered).ToList();
        Assert.InRange(leftAtOnce.Count, 5, 8);
        Assert.All(leftAtOnce, r => Assert.Equal((DispatchOutcome.Deferred, "rate_limit"), (r.Outcome, r.Reason)));
        Assert.All(leftAtOnce, r => Assert.InRange(r.Delay!.Value, TimeSpan.FromSeconds(5.001), TimeSpan.FromSeconds(12)));
        Assert.True(settled.Count(r => r.Outcome == DispatchOutcome.Delivered) <= 1, "only the front of the line may have gone");
        Assert.True(rig.Braze.Requests.Count - sentBefore <= 1, "only the front of the line may have been sent");

        // The rest waited in line and went as the budget sent them (the spread sends faster than the forecast assumes).
        var results = await AdvanceUntilDoneAsync(clock, runs);
        Assert.Equal(12 - leftAtOnce.Count, results.Count(r => r.Outcome == DispatchOutcome.Delivered));
        Assert.DoesNotContain(results, r => r.Outcome == DispatchOutcome.DeadLettered);
    }

    /// <summary>The runs that completed without the clock moving, once no more complete (a real-time bound, not an assertion).</summary>
    private static async Task<List<DispatchResult>> SettledAsync(List<Task<DispatchResult>> runs)
    {
        var done = -1;
        for (var poll = 0; poll < 150; poll++)
        {
            var now = runs.Count(r => r.IsCompleted);
            if (now == done && now > 0)
            {
                break;
            }

            done = now;
            await Task.Delay(TimeSpan.FromMilliseconds(400));
        }

        return [.. runs.Where(r => r.IsCompleted).Select(r => r.Result)];
    }

    private static async Task<DispatchResult[]> AdvanceUntilDoneAsync(FakeTimeProvider clock, List<Task<DispatchResult>> runs)
    {
        for (var step = 0; step < 400 && !runs.All(r => r.IsCompleted); step++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(100));
            await Task.WhenAny(Task.WhenAll(runs), Task.Delay(TimeSpan.FromMilliseconds(50)));
        }

        return await Task.WhenAll(runs);
    }
}
