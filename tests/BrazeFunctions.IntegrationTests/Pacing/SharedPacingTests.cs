using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.IntegrationTests.Infrastructure;
using BrazeFunctions.Sandbox;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace BrazeFunctions.IntegrationTests.Pacing;

/// <summary>Two instances (two service providers on one Azurite and one fake Braze) share one workspace's rate limit.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class SharedPacingTests(AzuriteFixture azurite)
{
    private const string Attribute = "{\"user_id\":\"u-1\",\"plan\":\"gold\"}";

    [Fact]
    public async Task Dispatch_429SeenByOneInstance_HoldsTheOtherUntilTheReset()
    {
        await using var first = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:ShortRateLimitWait"] = "00:00:00" });
        await using var second = await DispatchRig.StartAsync(azurite, sharedBraze: first.Braze, sharedQueue: first.Queue);
        var reset = DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 3);
        first.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", reset));

        var held = await first.Dispatcher.DispatchAsync(DispatchRig.Message(first.Envelope(Attribute)), 1, default);
        // The second instance has never talked to Braze: what holds it is the shared record.
        var delivered = await second.Dispatcher.DispatchAsync(DispatchRig.Message(second.Envelope(Attribute)), 1, default);

        Assert.Equal(("rate_limit", DispatchOutcome.Deferred), (held.Reason, held.Outcome));
        Assert.Equal(DispatchOutcome.Delivered, delivered.Outcome);
        var requests = first.Braze.Requests;
        Assert.Equal([429, 201], requests.Select(r => r.Status));
        Assert.True(requests[1].ArrivedAt >= reset, $"second instance sent at {requests[1].ArrivedAt:O}, before the reset {reset:O}");
        Assert.Equal(0, requests.Count(r => r.InsideAnnouncedWindow));
        Assert.Contains(second.Host.Logs.GetSnapshot(), r => r.Id.Id == 3009);
    }

    [Fact]
    public async Task Dispatch_TwoInstancesOnOneSmallBudget_NeverSpendMoreThanAWindowAllows()
    {
        // Twelve requests spread over windows of three take about ten seconds: every dispatch may wait that long in place.
        var settings = new Dictionary<string, string?> { ["Dispatch:ShortRateLimitWait"] = "00:00:30", ["Dispatch:RateLimitJitter"] = "00:00:00" };
        await using var first = await DispatchRig.StartAsync(azurite, settings);
        await using var second = await DispatchRig.StartAsync(azurite, settings, sharedBraze: first.Braze, sharedQueue: first.Queue);
        first.Braze.SetLimit(BrazeBucket.UsersTrack, 3, TimeSpan.FromSeconds(2));

        // Warm-up: each instance learns the window (its length comes from two consecutive resets).
        foreach (var round in new[] { 0, 1 })
        {
            await first.Dispatcher.DispatchAsync(DispatchRig.Message(first.Envelope($"{{\"user_id\":\"wa-{round}\"}}")), 1, default);
            await second.Dispatcher.DispatchAsync(DispatchRig.Message(second.Envelope($"{{\"user_id\":\"wb-{round}\"}}")), 1, default);
            var next = DateTimeOffset.FromUnixTimeSeconds((TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() / 2 + 1) * 2);
            await Task.Delay(next - TimeProvider.System.GetUtcNow() + TimeSpan.FromMilliseconds(50));
        }

        var warmUp = first.Braze.Requests.Count;
        // Alone, so that every message is its own request: 12 requests against 3 per 2-second window.
        var results = await Task.WhenAll(
            first.DispatchTogetherAsync(Enumerable.Range(0, 6).Select(i => first.Envelope($"{{\"user_id\":\"a-{i}\",\"coalesce\":false}}"))),
            second.DispatchTogetherAsync(Enumerable.Range(0, 6).Select(i => second.Envelope($"{{\"user_id\":\"b-{i}\",\"coalesce\":false}}"))));

        Assert.All(results.SelectMany(r => r), r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var burst = first.Braze.Requests.Skip(warmUp).ToList();
        Assert.True(burst.Count == 12 && burst.All(r => r.Status == 201), string.Join("\n", burst.Select(r => $"{r.ArrivedAt:HH:mm:ss.fff} {r.Status}")));
        Assert.All(burst.GroupBy(r => r.ArrivedAt.ToUnixTimeSeconds() / 2), window => Assert.True(window.Count() <= 3, $"{window.Count()} requests in one window"));
    }

    [Fact]
    public async Task Dispatch_SharedStateUnreachable_FallsBackToThePerInstanceGateAndWarnsOnce()
    {
        var deadPort = FreePort.Next();
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["AzureWebJobsStorage"] = azurite.ConnectionStringWithTablesDown(deadPort) });
        using var shared = new MetricCollector<long>(rig.Host.Get<System.Diagnostics.Metrics.IMeterFactory>(), RelayMetrics.MeterName, "relay.pacing.shared_state");
        var reset = DateTimeOffset.FromUnixTimeSeconds(TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() + 2);
        rig.Braze.Script(new SandboxAnswer.Status(429, "{\"message\":\"Rate limit exceeded\"}", reset));

        // A plain attribute update: a repeat is harmless, so it may go without the idempotency store, which is down too.
        var results = await rig.DispatchTogetherAsync([rig.Envelope(Attribute), rig.Envelope("{\"user_id\":\"u-2\",\"plan\":\"gold\"}")]);

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var requests = rig.Braze.Requests;
        Assert.Equal(1, rig.Braze.RateLimitedAnswers);
        Assert.Equal(0, requests.Count(r => r.Status != 429 && r.ArrivedAt < reset));
        Assert.Single(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 3024);
        Assert.Contains(shared.GetMeasurementSnapshot(), m => (string?)m.Tags["result"] == "failed");
        Assert.Contains(rig.Host.Logs.GetSnapshot(), r => r.Id.Id == 5003);
        var health = (await rig.Host.Get<HealthCheckService>().CheckHealthAsync()).Entries["shared_pacing"];
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
        Assert.Contains("not reachable", health.Description, StringComparison.Ordinal);
    }
}
