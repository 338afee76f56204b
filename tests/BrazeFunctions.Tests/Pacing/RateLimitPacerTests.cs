using System.Diagnostics.Metrics;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Pacing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static BrazeFunctions.Tests.Pacing.PacingKit;

namespace BrazeFunctions.Tests.Pacing;

/// <summary>The pacer's grants, holds and lines on a fake clock, without the shared table (its tests run against Azurite).</summary>
public sealed class RateLimitPacerTests
{
    [Fact]
    public async Task Acquire_BeforeTheFirstHeaders_AllowsOnlyInitialRequestsInFlight()
    {
        var rig = new Rig(new PacingOptions { InitialRequests = 1 });
        using var probe = await rig.AcquireAsync();

        var second = rig.AcquireAsync().AsTask();
        Assert.True(probe.IsAcquired);
        Assert.False(second.IsCompleted);

        await probe.CompleteAsync(Answer(rig.Now, 201), default);

        using var granted = await second;
        Assert.True(granted.IsAcquired);
    }

    [Fact]
    public async Task Acquire_RemainingDownToTheShareThreshold_WaitsForTheNextWindow()
    {
        var rig = new Rig(new PacingOptions { RateLimitShare = 0.5 });
        using (var probe = await rig.AcquireAsync())
        {
            // Half of the limit of 10 is for the customer's other integrations: at Remaining 5 the relay stops for this window.
            await probe.CompleteAsync(Answer(rig.Now, 201, limit: 10, remaining: 5, resetInSeconds: 2), default);
        }

        var next = rig.AcquireAsync().AsTask();
        rig.Time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.False(next.IsCompleted);
        rig.Time.Advance(TimeSpan.FromMilliseconds(1));

        using var granted = await next;
        Assert.True(granted.IsAcquired);
    }

    [Fact]
    public async Task Acquire_429LongerThanTheCallerMayWait_RefusesAtOnceWithTheHoldAndItsReason()
    {
        var rig = new Rig(new PacingOptions { RateLimitJitter = TimeSpan.Zero });
        using (var probe = await rig.AcquireAsync())
        {
            var verdict = await probe.CompleteAsync(Answer(rig.Now, 429, remaining: 0, resetInSeconds: 30), default);
            Assert.Equal(new PaceVerdict(TimeSpan.FromSeconds(30), WaitInPlace: false), verdict);
        }

        using var refused = await rig.AcquireAsync();

        Assert.False(refused.IsAcquired);
        Assert.Equal(PaceReason.RateLimited, refused.Reason);
        Assert.Equal(TimeSpan.FromSeconds(30), refused.RetryAfter);
    }

    [Fact]
    public async Task Acquire_429InOneBucket_LeavesTheOtherBucketsOpen()
    {
        var rig = new Rig(new PacingOptions { RateLimitJitter = TimeSpan.Zero });
        using (var probe = await rig.AcquireAsync(BrazeBucket.Identity))
        {
            await probe.CompleteAsync(Answer(rig.Now, 429, remaining: 0, resetInSeconds: 60, endpoint: BrazeEndpoints.UsersIdentify), default);
        }

        foreach (var bucket in new[] { BrazeBucket.UsersTrack, BrazeBucket.Messaging, BrazeBucket.Subscription, BrazeBucket.Broadcast, BrazeBucket.Other })
        {
            using var lease = await rig.AcquireAsync(bucket);
            Assert.True(lease.IsAcquired, $"{bucket} was held by an identity 429");
        }

        using var identity = await rig.AcquireAsync(BrazeBucket.Identity);
        Assert.False(identity.IsAcquired);
    }

    [Fact]
    public async Task Acquire_429WithARetryAfterOfTwoDays_HoldsOnlyMaxRateLimitHoldThenLetsOneProbeGoFirst()
    {
        var rig = new Rig(new PacingOptions { MaxRateLimitHold = TimeSpan.FromSeconds(15), RateLimitJitter = TimeSpan.Zero, InitialRequests = 5 });
        using (var first = await rig.AcquireAsync())
        {
            await first.CompleteAsync(Answer(rig.Now, 429, remaining: 0, resetInSeconds: null, retryAfter: TimeSpan.FromDays(2)), default);
        }

        using (var held = await rig.AcquireAsync())
        {
            Assert.Equal(TimeSpan.FromSeconds(15), held.RetryAfter);
        }

        rig.Time.Advance(TimeSpan.FromSeconds(15));
        using var probe = await rig.AcquireAsync();
        var behind = rig.AcquireAsync().AsTask();
        Assert.True(probe.IsAcquired);
        Assert.False(behind.IsCompleted);

        await probe.CompleteAsync(Answer(rig.Now, 201, limit: 100, remaining: 90), default);

        using var released = await behind;
        Assert.True(released.IsAcquired);
    }

    [Fact]
    public async Task Acquire_WindowLengthLearned_NextWindowNeedsNoProbeAndItsBudgetIsSpreadOverIt()
    {
        var rig = new Rig(new PacingOptions { InitialRequests = 1 });
        using (var first = await rig.AcquireAsync())
        {
            await first.CompleteAsync(Answer(rig.Now, 201), default);
        }

        rig.Time.Advance(TimeSpan.FromSeconds(3));
        using (var second = await rig.AcquireAsync())
        {
            await second.CompleteAsync(Answer(rig.Now, 201), default);
        }

        // Two resets 3 s apart: when the next window starts the pacer knows it without a probe, and releases its
        // 10 requests evenly over the part of the window before its guard band instead of all at once.
        rig.Time.Advance(TimeSpan.FromSeconds(3));
        using var a = await rig.AcquireAsync();
        var b = rig.AcquireAsync().AsTask();
        Assert.True(a.IsAcquired);
        Assert.False(b.IsCompleted);
        rig.Time.Advance(TimeSpan.FromMilliseconds(300));

        using var granted = await b;
        Assert.True(granted.IsAcquired);
    }

    [Fact]
    public async Task JoinLine_PlaceTheBudgetSendsInTime_WaitsInLine_ElseLeavesAtOnceWithTheForecast()
    {
        // 3 requests per 3-s window, this instance alone: one request a second.
        var rig = new Rig(new PacingOptions { ShortRateLimitWait = TimeSpan.FromSeconds(5), RateLimitJitter = TimeSpan.Zero });
        await LearnWindowAsync(rig, limit: 3);
        var request = Request();

        Assert.Null(rig.Pacer.JoinLine(request, ahead: 2));
        using var leaves = rig.Pacer.JoinLine(request, ahead: 12);

        Assert.NotNull(leaves);
        Assert.False(leaves.IsAcquired);
        Assert.Equal(PaceReason.Line, leaves.Reason);
        Assert.Equal(rig.Pacer.Forecast(request, 12).Wait, leaves.RetryAfter);
        Assert.InRange(leaves.RetryAfter, TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(14));
    }

    [Fact]
    public async Task Acquire_WaitsAndDeferrals_AreCounted()
    {
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = meters.GetRequiredService<IMeterFactory>();
        using var waits = new MetricCollector<long>(factory, RelayMetrics.MeterName, "relay.pacing.waits");
        var rig = new Rig(new PacingOptions { RateLimitJitter = TimeSpan.Zero }, meters: factory);
        using (var probe = await rig.AcquireAsync())
        {
            await probe.CompleteAsync(Answer(rig.Now, 429, remaining: 0, resetInSeconds: 1), default);
        }

        var next = rig.AcquireAsync().AsTask();
        rig.Time.Advance(TimeSpan.FromSeconds(2));
        using (await next)
        {
        }

        using (var probe = await rig.AcquireAsync())
        {
            await probe.CompleteAsync(Answer(rig.Now, 429, remaining: 0, resetInSeconds: 60), default);
        }

        using (await rig.AcquireAsync())
        {
        }

        Assert.Equal(["waited", "deferred"], waits.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]!));
        Assert.All(waits.GetMeasurementSnapshot(), m => Assert.Equal("users-track", m.Tags["bucket"]));
    }

    /// <summary>Two answers a window apart teach the pacer a window of <paramref name="limit"/> requests per 3 s.</summary>
    private static async Task LearnWindowAsync(Rig rig, int limit)
    {
        foreach (var _ in new[] { 0, 1 })
        {
            using (var lease = await rig.AcquireAsync())
            {
                await lease.CompleteAsync(Answer(rig.Now, 201, limit: limit, remaining: limit - 1), default);
            }

            rig.Time.Advance(TimeSpan.FromSeconds(3));
        }
    }
}
