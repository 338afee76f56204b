using BrazeFunctions.Core.Pacing;
using static BrazeFunctions.Tests.Pacing.PacingKit;

namespace BrazeFunctions.Tests.Pacing;

/// <summary>The pacer's leases on a fake clock: budget given back when unsent, counted once, stale once their window may have ended; a refused lease is settled from the start.</summary>
public sealed class PaceLeaseTests
{
    [Fact]
    public async Task Refused_CarriesItsWaitAndReason_AndIsSettledSoCompletingItTeachesNothing()
    {
        var lease = PaceLease.Refused(Request(), TimeSpan.FromSeconds(7), PaceReason.RateLimited);

        Assert.False(lease.IsAcquired);
        Assert.True(lease.IsSettled);
        Assert.False(lease.IsStale);
        Assert.Equal((TimeSpan.FromSeconds(7), PaceReason.RateLimited), (lease.RetryAfter, lease.Reason));
        Assert.Equal(PaceVerdict.Open, await lease.CompleteAsync(Answer(DateTimeOffset.UnixEpoch, 429, remaining: 0, resetInSeconds: 30), default));
        lease.Dispose();
    }

    [Fact]
    public async Task Acquired_IsReadyToSendWithoutAWait_AndSettledOnlyOnceCompleted()
    {
        var rig = new Rig(new PacingOptions());
        var lease = await rig.AcquireAsync();

        Assert.Equal((true, TimeSpan.Zero, PaceReason.None, false), (lease.IsAcquired, lease.RetryAfter, lease.Reason, lease.IsSettled));
        await lease.CompleteAsync(Answer(rig.Now, 201), default);
        Assert.True(lease.IsSettled);
    }

    [Fact]
    public async Task Lease_DisposedUnsent_GivesItsBudgetBack()
    {
        var rig = new Rig(new PacingOptions { InitialRequests = 1 });
        using (var probe = await rig.AcquireAsync())
        {
            await probe.CompleteAsync(Answer(rig.Now, 201, limit: 10, remaining: 2), default);
        }

        var first = await rig.AcquireAsync();
        using var second = await rig.AcquireAsync();
        var third = rig.AcquireAsync().AsTask();
        Assert.False(third.IsCompleted);

        first.Dispose();

        using var granted = await third;
        Assert.True(granted.IsAcquired);
    }

    [Fact]
    public async Task Lease_CompletedTwiceOrDisposedAfterCompletion_CountsOnce()
    {
        // Before the first headers one request may be in flight: the in-flight count shows what each lease gave back.
        var rig = new Rig(new PacingOptions { InitialRequests = 1 });
        var lease = await rig.AcquireAsync();
        var noHeaders = Answer(rig.Now, 201, limit: null, remaining: null, resetInSeconds: null);
        await lease.CompleteAsync(noHeaders, default);
        Assert.Equal(PaceVerdict.Open, await lease.CompleteAsync(noHeaders, default));
        lease.Dispose();

        var second = await rig.AcquireAsync();
        var third = rig.AcquireAsync().AsTask();
        Assert.True(second.IsAcquired);
        Assert.False(third.IsCompleted);
        second.Dispose();
        second.Dispose();

        using var granted = await third;
        Assert.True(granted.IsAcquired);
        Assert.False(rig.AcquireAsync().AsTask().IsCompleted);
    }

    [Fact]
    public async Task IsStale_LeaseOfAKnownWindow_OnceThatWindowMayHaveEnded()
    {
        var rig = new Rig(new PacingOptions { InitialRequests = 1 });
        var probe = await rig.AcquireAsync();
        // A probe is granted before any window is known: it cannot go stale.
        Assert.False(probe.IsStale);
        await probe.CompleteAsync(Answer(rig.Now, 201), default);

        using var lease = await rig.AcquireAsync();
        rig.Time.Advance(TimeSpan.FromSeconds(1.5));
        Assert.False(lease.IsStale);
        // The answer's Date and arrival were the same instant, so the window ends no earlier than 2 s from the grant
        // (reset 3 s away, less the second a Date's whole seconds may hide).
        rig.Time.Advance(TimeSpan.FromSeconds(0.5));

        Assert.True(lease.IsStale);
    }
}
