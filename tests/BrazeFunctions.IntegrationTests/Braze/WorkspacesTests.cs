using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using BrazeBucket = BrazeFunctions.Sandbox.BrazeBucket;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace BrazeFunctions.IntegrationTests.Braze;

/// <summary>
/// Two Braze workspaces as two fake Braze servers, each with its own API key: the relay's default workspace (the rig's
/// fake, legacy settings) and <c>brandb</c> (<c>Braze:Workspaces:brandb:*</c>). Routes come from real templates: the shipped
/// <c>attribute-from-event</c> and the example <c>sync-attribute-to-workspace</c>, which names <c>brandb</c>.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class WorkspacesTests(AzuriteFixture azurite) : IDisposable
{
    private const string BrandBKey = "sk-brandb-test-9Vt3Kp6Wq1Zy";
    private const string DefaultRoute = "attribute-from-event";
    private const string BrandBRoute = "sync-attribute-to-workspace";
    private const string DefaultPayload = """{"user_id":"u-a","event_properties":{"plan":"gold"}}""";
    private const string BrandBPayload = """{"user_id":"u-b","custom_attribute":{"plan":"silver"}}""";

    private readonly string _templates = Directory.CreateTempSubdirectory("workspace-templates-").FullName;

    public void Dispose() => Directory.Delete(_templates, recursive: true);

    [Fact]
    public async Task PostedWebhooks_TwoWorkspaces_EachRouteReachesOnlyItsOwnWorkspaceWithItsOwnKey()
    {
        await using var brandB = await BrazeSandbox.StartAsync(TimeProvider.System, BrandBKey);
        await using var rig = await StartAsync(brandB);
        using var delivered = new MetricCollector<long>(rig.Host.Get<IMeterFactory>(), RelayMetrics.MeterName, "relay.deliveries.delivered");
        var ingress = rig.Host.Get<WebhookIngress>();

        Assert.Equal(StatusCodes.Status202Accepted, (await FunctionCall.PostWebhookAsync(ingress, DefaultRoute, DefaultPayload)).Status);
        Assert.Equal(StatusCodes.Status202Accepted, (await FunctionCall.PostWebhookAsync(ingress, BrandBRoute, BrandBPayload)).Status);
        foreach (var queued in await rig.ReceiveAllAsync(rig.Outbox))
        {
            Assert.Equal(DispatchOutcome.Delivered, (await rig.Dispatcher.DispatchAsync(queued.Body.ToString(), queued.DequeueCount, default)).Outcome);
        }

        var toDefault = Assert.Single(rig.Braze.Requests);
        var toBrandB = Assert.Single(brandB.Requests);
        Assert.NotEqual(rig.Braze.ApiKey, brandB.ApiKey);
        Assert.True(toDefault.Authorized && toBrandB.Authorized, "each workspace's fake accepts only its own key");
        Assert.Equal("u-a", JsonNode.Parse(toDefault.Body)!["attributes"]![0]!["external_id"]!.GetValue<string>());
        Assert.Equal(("u-b", "silver"), (JsonNode.Parse(toBrandB.Body)!["attributes"]![0]!["external_id"]!.GetValue<string>(), JsonNode.Parse(toBrandB.Body)!["attributes"]![0]!["plan"]!.GetValue<string>()));
        Assert.Equal(
            [(DefaultRoute, "default"), (BrandBRoute, "brandb")],
            delivered.GetMeasurementSnapshot().Select(m => ((string)m.Tags["route"]!, (string)m.Tags["workspace"]!)).OrderBy(t => t.Item1, StringComparer.Ordinal));
        var logs = rig.Host.AllLogText();
        Assert.DoesNotContain(BrandBKey, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(DispatchRig.ApiKey, logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispatch_429InOneWorkspace_DoesNotHoldTheOther()
    {
        await using var brandB = await BrazeSandbox.StartAsync(TimeProvider.System, BrandBKey);
        await using var rig = await StartAsync(brandB);
        brandB.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", TimeProvider.System.GetUtcNow().AddHours(1)));

        var limited = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(BrandBPayload, route: BrandBRoute)), 1, default);
        var other = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(DefaultPayload, route: DefaultRoute)), 1, default);
        var held = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(BrandBPayload, route: BrandBRoute)), 1, default);

        Assert.Equal((DispatchOutcome.Deferred, "rate_limit"), (limited.Outcome, limited.Reason));
        Assert.Equal(DispatchOutcome.Delivered, other.Outcome);
        Assert.Equal(201, Assert.Single(rig.Braze.Requests).Status);
        // brandb stays closed until its reset: the second message is held without asking Braze again.
        Assert.Equal(DispatchOutcome.Deferred, held.Outcome);
        Assert.Equal(429, Assert.Single(brandB.Requests).Status);
    }

    [Fact]
    public async Task Startup_TemplateNamingAMissingWorkspace_FailsNamingTheTemplateFileAndTheWorkspace()
    {
        await using var braze = await BrazeSandbox.StartAsync(TimeProvider.System, DispatchRig.ApiKey);
        var template = CopyTemplates();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Templates:Directory"] = _templates,
            ["Braze:RestEndpoint"] = braze.BaseAddress.ToString(),
            ["Braze:AllowLoopbackHttp"] = "true",
            ["Braze:ApiKey"] = DispatchRig.ApiKey,
        });
        builder.Services.AddRelayIngress();
        builder.Services.AddRelayDispatch();
        using var host = builder.Build();

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains($"{template} names workspace 'brandb'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Configured: default", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Braze__Workspaces__<name>__RestEndpoint", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(DispatchRig.ApiKey, failure.Message, StringComparison.Ordinal);
        Assert.Empty(braze.Requests);
    }

    [Fact]
    public async Task Dispatch_WorkspaceObjectCapOverride_AppliesToThatWorkspaceOnly()
    {
        await using var brandB = await BrazeSandbox.StartAsync(TimeProvider.System, BrandBKey);
        await using var rig = await StartAsync(brandB, new()
        {
            ["Dispatch:BatchLinger"] = "00:00:00.300",
            ["Braze:Workspaces:brandb:MaxUsersTrackObjects"] = "2",
        });

        var results = await rig.DispatchTogetherAsync(Enumerable.Range(0, 5).SelectMany(i => new[]
        {
            rig.Envelope($$$"""{"user_id":"a-{{{i}}}","event_properties":{"plan":"gold"}}""", route: DefaultRoute),
            rig.Envelope($$$"""{"user_id":"b-{{{i}}}","custom_attribute":{"plan":"gold"}}""", route: BrandBRoute),
        }));

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        Assert.Equal([2, 2, 1], brandB.Requests.Select(ObjectCount).Order().Reverse());
        Assert.Equal([5], rig.Braze.Requests.Select(ObjectCount));
        Assert.All(brandB.AppliedObjects, o => Assert.StartsWith("b-", o.User, StringComparison.Ordinal));
        Assert.All(rig.Braze.AppliedObjects, o => Assert.StartsWith("a-", o.User, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dispatch_WorkspaceRateLimitShareOverride_SpendsOnlyThatShareOfItsWindow()
    {
        // A frozen clock on both sides: the 60-second windows cannot roll over while the test runs.
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(((now / 60) + 1) * 60 + 10));
        await using var brandB = await BrazeSandbox.StartAsync(clock, BrandBKey);
        await using var rig = await StartAsync(brandB, new()
        {
            ["Dispatch:ShortRateLimitWait"] = "00:00:00",
            ["Dispatch:RateLimitJitter"] = "00:00:00",
            ["Braze:Workspaces:brandb:RateLimitShare"] = "0.5",
        }, clock);
        foreach (var braze in new[] { rig.Braze, brandB })
        {
            braze.SetLimit(BrazeBucket.UsersTrack, 4, TimeSpan.FromSeconds(60));
        }

        var toBrandB = new List<DispatchOutcome>();
        var toDefault = new List<DispatchOutcome>();
        for (var i = 0; i < 4; i++)
        {
            toBrandB.Add((await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope($$$"""{"user_id":"b-{{{i}}}","custom_attribute":{"plan":"gold"}}""", route: BrandBRoute)), 1, default)).Outcome);
            toDefault.Add((await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope($$$"""{"user_id":"a-{{{i}}}","event_properties":{"plan":"gold"}}""", route: DefaultRoute)), 1, default)).Outcome);
        }

        // brandb may spend half of its 4 requests per window and stops there. The default workspace keeps the global share
        // (all of it): it sends beyond brandb's two, though not necessarily all four at this instant, since the pacer releases
        // a window's budget spread over the window.
        Assert.Equal([DispatchOutcome.Delivered, DispatchOutcome.Delivered, DispatchOutcome.Deferred, DispatchOutcome.Deferred], toBrandB);
        Assert.Equal((2, 0), (brandB.Requests.Count, brandB.RateLimitedAnswers));
        Assert.InRange(rig.Braze.Requests.Count, 3, 4);
        Assert.Equal(0, rig.Braze.RateLimitedAnswers);
        Assert.Equal(rig.Braze.Requests.Count, toDefault.Count(o => o == DispatchOutcome.Delivered));
    }

    [Fact]
    public async Task Dispatch_LegacySettingsOnly_DefaultWorkspaceDeliversAndRecordsItsName()
    {
        // The rig configures Braze:RestEndpoint and Braze:ApiKey only, as deployments before workspaces did.
        await using var rig = await DispatchRig.StartAsync(
            azurite, new() { ["Templates:Directory"] = Path.Combine(RepositoryRoot.Path, "templates") }, useShippedTemplates: true);
        var sample = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "templates", DefaultRoute + ".sample.json"));

        var delivered = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(sample, route: DefaultRoute)), 1, default);
        rig.Braze.Script(new SandboxAnswer.Status(400, "{\"message\":\"Invalid 'external_id'\"}"));
        var refused = await rig.Dispatcher.DispatchAsync(DispatchRig.Message(rig.Envelope(sample.Replace("66f0", "77f0", StringComparison.Ordinal), route: DefaultRoute)), 1, default);

        Assert.Equal(["default"], rig.Host.Get<BrazeWorkspaces>().Names);
        Assert.Equal(DispatchOutcome.Delivered, delivered.Outcome);
        Assert.True(rig.Braze.Requests[0].Authorized);
        Assert.Equal(DispatchOutcome.DeadLettered, refused.Outcome);
        var deadLetter = DeadLetterCodec.Parse(Assert.Single(await rig.ReceiveAllAsync(rig.Poison)).Body.ToMemory());
        Assert.Equal("default", deadLetter.Reason!.Workspace);
    }

    [Fact]
    public async Task Startup_SampleSettingsWithTheShippedTemplates_Starts()
    {
        // What a fresh `func start` gets: local.settings.sample.json (one workspace) and the shipped templates/ folder.
        var settings = BrazeFunctions.Cli.CliServices.ReadValues(Path.Combine(RepositoryRoot.Path, "local.settings.sample.json"));
        settings["AzureWebJobsStorage"] = azurite.ConnectionString;
        settings["Templates:Directory"] = Path.Combine(RepositoryRoot.Path, "templates");

        await using var host = await RelayTestHost.StartAsync(settings, services => services.AddRelayDispatch());

        Assert.Equal(["default"], host.Get<BrazeWorkspaces>().Names);
        Assert.All(host.Get<Core.Templates.TemplateCatalog>().Templates, t => Assert.Equal("default", t.Workspace));
    }

    private static int ObjectCount(SandboxRequest request) => JsonNode.Parse(request.Body)!["attributes"]!.AsArray().Count;

    /// <summary>A rig whose templates are attribute-from-event (default) and sync-attribute-to-workspace (brandb).</summary>
    private async Task<DispatchRig> StartAsync(BrazeSandbox brandB, Dictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        CopyTemplates();
        File.Copy(Path.Combine(RepositoryRoot.Path, "templates", DefaultRoute + ".liquid"), Path.Combine(_templates, DefaultRoute + ".liquid"), overwrite: true);
        var all = new Dictionary<string, string?>
        {
            ["Templates:Directory"] = _templates,
            ["Braze:Workspaces:brandb:RestEndpoint"] = brandB.BaseAddress.ToString(),
            ["Braze:Workspaces:brandb:ApiKey"] = brandB.ApiKey,
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        return await DispatchRig.StartAsync(azurite, all, time, useShippedTemplates: true);
    }

    /// <summary>Copies the brandb example into the test's template folder; returns its path there.</summary>
    private string CopyTemplates()
    {
        var target = Path.Combine(_templates, BrandBRoute + ".liquid");
        File.Copy(Path.Combine(RepositoryRoot.Path, "templates", "examples", BrandBRoute + ".liquid"), target, overwrite: true);
        return target;
    }
}
