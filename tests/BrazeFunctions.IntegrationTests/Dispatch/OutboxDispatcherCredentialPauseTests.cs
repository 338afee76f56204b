using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using static BrazeFunctions.IntegrationTests.Infrastructure.OutboxDispatcherKit;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>The dispatcher when Braze refuses the API key: messages held for the pause, one probe first, dead-lettered at the age limit.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class OutboxDispatcherCredentialPauseTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Dispatch_WrongApiKey_HeldForTheCredentialPauseAndNeitherKeyAppearsAnywhere()
    {
        const string wrongKey = "sk-wrong-key-Hh3Jk8Lm2Np5Qr7";
        await using var rig = await DispatchRig.StartAsync(azurite, configuredKey: wrongKey);
        using var rejected = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(
            rig.Host.Get<System.Diagnostics.Metrics.IMeterFactory>(), Core.Diagnostics.RelayMetrics.MeterName, "relay.braze.credential_rejected");

        var first = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);
        var second = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);

        // A wrong key holds the backlog instead of burning it into the poison queue: one request, then everyone waits.
        Assert.Equal(("credential_pause", DispatchOutcome.Deferred), (first.Reason, first.Outcome));
        Assert.Equal(("credential_pause", DispatchOutcome.Deferred), (second.Reason, second.Outcome));
        Assert.True(first.Delay >= TimeSpan.FromMinutes(4.9), $"delay {first.Delay}");
        Assert.False(Assert.Single(rig.Braze.Requests).Authorized);
        Assert.Empty(await rig.ReceiveAllAsync(rig.Poison));
        var metric = Assert.Single(rejected.GetMeasurementSnapshot());
        Assert.Equal(401, metric.Tags["status"]);
        var logs = rig.Host.AllLogText();
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3027);
        Assert.DoesNotContain(wrongKey, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(DispatchRig.ApiKey, logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatch_CredentialPauseOver_OneProbeGoesFirstThenTheHeldMessages()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:CredentialPause"] = "00:00:01", ["Dispatch:ShortRateLimitWait"] = "00:00:05" });
        rig.Braze.Script(new SandboxAnswer.Status(403, "{\"message\":\"Access Denied\"}"));
        var dispatcher = rig.Host.Get<OutboxDispatcher>();

        var refused = await dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(UserPayload)), 1, default);
        // The pause (1 s) is shorter than the wait a dispatch may spend in place: these wait, and only one goes first.
        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope($"{{\"user_id\":\"u-{i}\",\"coalesce\":false}}")), 1, default)));

        Assert.Equal("credential_pause", refused.Reason);
        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var requests = rig.Braze.Requests;
        Assert.Equal([403, 201, 201, 201], requests.Select(r => r.Status));
        Assert.True(requests.Skip(2).All(r => r.ArrivedAt >= requests[1].ArrivedAt), "a held message went before the probe");
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3028);
    }

    [Fact]
    public async Task Dispatch_CredentialStillRefusedAtMaxMessageAge_DeadLetteredAsCredentialRejected()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:MaxMessageAge"] = "00:10:00" });
        rig.Braze.Script(new SandboxAnswer.Status(401, "{\"message\":\"Invalid API key\"}"));
        var old = rig.Envelope(UserPayload) with { ReceivedAt = rig.Time.GetUtcNow().AddMinutes(-8) };

        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(DispatchRig.Message(old), 1, default);

        Assert.Equal(("credential_rejected", DispatchOutcome.DeadLettered), (result.Reason, result.Outcome));
        var dead = await SingleDeadLetterAsync(rig);
        Assert.Equal(401, dead.Reason!.Status);
        Assert.Equal("default", dead.Reason.Workspace);
        Assert.Contains("Braze__ApiKey", dead.Reason.Detail, StringComparison.Ordinal);
    }
}
