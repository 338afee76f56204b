using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Pacing;
using static BrazeFunctions.Tests.Pacing.PacingKit;

namespace BrazeFunctions.Tests.Pacing;

/// <summary>The credential gate on its own (the shared table off; its sharing is tested against Azurite).</summary>
public sealed class CredentialGateTests
{
    private readonly Rig _rig = new(new PacingOptions { CredentialPause = TimeSpan.FromMinutes(5), MaxCredentialPause = TimeSpan.FromMinutes(15) });

    private CredentialGate Gate => _rig.Credentials;

    [Fact]
    public async Task Check_NothingRefused_LetsEveryRequestGo()
    {
        Assert.Equal((null, null), await Gate.CheckAsync(Workspace, BrazeEndpoints.UsersTrack, default));
        Assert.Equal(TimeSpan.Zero, Gate.PausedFor(Workspace, BrazeEndpoints.UsersTrack));
    }

    [Fact]
    public async Task Observe401_PausesEveryEndpointOfTheKeyAndDoublesUpToTheMaximum()
    {
        foreach (var expected in new[] { 5, 10, 15, 15 })
        {
            await Gate.ObserveAsync(null, Workspace, Answer(_rig.Now, 401), default);
            Assert.Equal(TimeSpan.FromMinutes(expected), Gate.PausedFor(Workspace, BrazeEndpoints.CanvasTriggerSend));
        }

        var (wait, probe) = await Gate.CheckAsync(Workspace, BrazeEndpoints.SubscriptionStatusSet, default);
        Assert.Equal((TimeSpan.FromMinutes(15), (CredentialScope?)null), (wait, probe));
    }

    [Fact]
    public async Task Observe403_PausesOnlyThatEndpoint()
    {
        await Gate.ObserveAsync(null, Workspace, Answer(_rig.Now, 403, endpoint: BrazeEndpoints.UsersIdentify), default);

        Assert.Equal(TimeSpan.FromMinutes(5), Gate.PausedFor(Workspace, BrazeEndpoints.UsersIdentify));
        Assert.Equal(TimeSpan.Zero, Gate.PausedFor(Workspace, BrazeEndpoints.UsersTrack));
    }

    [Fact]
    public async Task Check_AfterThePause_OneProbeGoesFirstAndItsAcceptanceReleasesTheRest()
    {
        await Gate.ObserveAsync(null, Workspace, Answer(_rig.Now, 401), default);
        _rig.Time.Advance(TimeSpan.FromMinutes(5));

        var (_, probe) = await Gate.CheckAsync(Workspace, BrazeEndpoints.UsersTrack, default);
        var (behind, _) = await Gate.CheckAsync(Workspace, BrazeEndpoints.UsersTrack, default);
        Assert.Equal(CredentialScope.Key(Workspace), probe);
        Assert.NotNull(behind);

        await Gate.ObserveAsync(probe, Workspace, Answer(_rig.Now, 201), default);

        Assert.Equal((null, null), await Gate.CheckAsync(Workspace, BrazeEndpoints.UsersTrack, default));
    }

    [Fact]
    public async Task ReleaseProbe_UnsentProbe_LetsTheNextRequestProbe()
    {
        await Gate.ObserveAsync(null, Workspace, Answer(_rig.Now, 401), default);
        _rig.Time.Advance(TimeSpan.FromMinutes(5));
        var (_, probe) = await Gate.CheckAsync(Workspace, BrazeEndpoints.UsersTrack, default);

        Gate.ReleaseProbe(probe);

        Assert.Equal(probe, (await Gate.CheckAsync(Workspace, BrazeEndpoints.UsersTrack, default)).Probe);
    }

    [Fact]
    public void SharedRow_IsTheScopesPartition_NeverTheKey()
    {
        var row = CredentialScope.Permission(Workspace, BrazeEndpoints.UsersTrack).SharedRow;

        Assert.Equal(new SharedRow(Workspace.RateLimitScope, "credential-users-track"), row);
        Assert.DoesNotContain(Workspace.ApiKey, row.Partition, StringComparison.Ordinal);
    }
}
