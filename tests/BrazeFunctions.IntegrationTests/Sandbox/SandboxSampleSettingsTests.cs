using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.AspNetCore.Http;

namespace BrazeFunctions.IntegrationTests.Sandbox;

/// <summary>A fresh local run sends to the sandbox: the sample settings name its default URL and key, and it accepts them.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class SandboxSampleSettingsTests(AzuriteFixture azurite)
{
    private static readonly Dictionary<string, string?> Sample = BrazeFunctions.Cli.CliServices.ReadValues(Path.Combine(RepositoryRoot.Path, "local.settings.sample.json"));

    [Fact]
    public void Sample_BrazeSettings_AreTheSandboxsDefaultUrlAndKey()
    {
        Assert.Equal(SandboxOptions.DefaultListen, Sample["Braze:RestEndpoint"]);
        Assert.Equal(SandboxOptions.DefaultApiKey, Sample["Braze:ApiKey"]);
        Assert.Equal("true", Sample["Braze:AllowLoopbackHttp"]);
    }

    [Fact]
    public async Task PostedWebhook_SampleKeyAndShippedTemplate_SandboxAcceptsAndAppliesIt()
    {
        await using var sandbox = await BrazeSandbox.StartAsync(TimeProvider.System, new SandboxOptions { Listen = "http://127.0.0.1:0" });
        await using var rig = await DispatchRig.StartAsync(azurite, configuredKey: Sample["Braze:ApiKey"], useShippedTemplates: true, sharedBraze: sandbox);

        var posted = await FunctionCall.PostWebhookAsync(rig.Host.Get<WebhookIngress>(), "attribute-from-event", """{"user_id":"user-123","event_properties":{"plan":"gold"}}""");
        var queued = Assert.Single(await rig.ReceiveAllAsync(rig.Outbox));
        var outcome = await rig.Dispatcher.DispatchAsync(queued.Body.ToString(), queued.DequeueCount, default);

        Assert.Equal(StatusCodes.Status202Accepted, posted.Status);
        Assert.Equal(DispatchOutcome.Delivered, outcome.Outcome);
        var received = Assert.Single(sandbox.Requests);
        Assert.Equal((true, 201, "/users/track"), (received.Authorized, received.Status, received.Path));
        Assert.Equal(("attributes", "user-123"), Assert.Single(sandbox.AppliedObjects));
    }
}
