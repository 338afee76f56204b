using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Pacing;
using static BrazeFunctions.Tests.Pacing.PacingKit;

namespace BrazeFunctions.Tests.Pacing;

/// <summary>The pacer after Braze refuses the credential: a 401 pauses the workspace, a 403 only its endpoint.</summary>
public sealed class RateLimitPacerCredentialPauseTests
{
    [Fact]
    public async Task Acquire_After401_PausesTheWorkspaceThenLetsOneProbeGoFirst()
    {
        var rig = new Rig(new PacingOptions { CredentialPause = TimeSpan.FromMinutes(5), MaxCredentialPause = TimeSpan.FromMinutes(15) });
        using (var first = await rig.AcquireAsync())
        {
            Assert.Equal(new PaceVerdict(TimeSpan.FromMinutes(5), WaitInPlace: false), await first.CompleteAsync(Answer(rig.Now, 401), default));
        }

        using (var held = await rig.AcquireAsync(BrazeBucket.Messaging))
        {
            Assert.Equal((false, PaceReason.Credential, TimeSpan.FromMinutes(5)), (held.IsAcquired, held.Reason, held.RetryAfter));
        }

        rig.Time.Advance(TimeSpan.FromMinutes(5));
        var probe = await rig.AcquireAsync();
        var behindTheProbe = rig.AcquireAsync().AsTask();
        Assert.True(probe.IsAcquired);
        Assert.False(behindTheProbe.IsCompleted);

        // Refused again: the pause doubles, and the request behind the probe learns it when it looks again.
        await probe.CompleteAsync(Answer(rig.Now, 401), default);
        rig.Time.Advance(TimeSpan.FromMilliseconds(250));
        using (var doubled = await behindTheProbe)
        {
            Assert.Equal(TimeSpan.FromMinutes(10) - TimeSpan.FromMilliseconds(250), doubled.RetryAfter);
        }

        rig.Time.Advance(TimeSpan.FromMinutes(10));
        using (var second = await rig.AcquireAsync())
        {
            await second.CompleteAsync(Answer(rig.Now, 201), default);
        }

        // Accepted: the whole workspace is released (another bucket shows it, with nothing else holding it).
        using var released = await rig.AcquireAsync(BrazeBucket.Messaging);
        Assert.True(released.IsAcquired);
    }

    [Fact]
    public async Task Acquire_After403_PausesOnlyThatEndpoint()
    {
        var rig = new Rig(new PacingOptions());
        using (var first = await rig.AcquireAsync())
        {
            await first.CompleteAsync(Answer(rig.Now, 403), default);
        }

        using var sameEndpoint = await rig.AcquireAsync();
        using var otherEndpoint = await rig.AcquireAsync(BrazeBucket.Messaging);

        Assert.Equal(PaceReason.Credential, sameEndpoint.Reason);
        Assert.True(otherEndpoint.IsAcquired);
    }
}
