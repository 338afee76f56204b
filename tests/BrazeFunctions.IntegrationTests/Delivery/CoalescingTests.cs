using System.Text.Json;
using System.Text.Json.Nodes;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static BrazeFunctions.IntegrationTests.Infrastructure.CoalescingKit;

namespace BrazeFunctions.IntegrationTests.Delivery;

/// <summary>Messages dispatched together become one Braze request, under the merge rules and the caps.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class CoalescingTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Dispatch_MessagesTogether_OneRequestWithEveryObjectInReceiptOrder()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, Coalescing);
        using var objects = new MetricCollector<int>(rig.Host.Get<System.Diagnostics.Metrics.IMeterFactory>(), RelayMetrics.MeterName, "relay.braze.request.objects");
        var envelopes = Enumerable.Range(0, 5).Select(i => rig.Envelope($"{{\"user_id\":\"u-{i}\",\"plan\":\"p{i}\"}}") with { ReceivedAt = rig.Time.GetUtcNow().AddSeconds(-10 + i) }).ToList();

        // Handed over in reverse order: the request still lists them in the order they were received.
        var results = await rig.DispatchTogetherAsync(Enumerable.Reverse(envelopes));

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var request = Assert.Single(rig.Braze.Requests);
        var ids = JsonNode.Parse(request.Body)!["attributes"]!.AsArray().Select(a => a!["external_id"]!.GetValue<string>());
        Assert.Equal(["u-0", "u-1", "u-2", "u-3", "u-4"], ids);
        Assert.Equal(5, Assert.Single(objects.GetMeasurementSnapshot()).Value);
        Assert.Equal(5, rig.Host.Logs.GetSnapshot().Count(r => r.Id.Id == 3002));
    }

    [Fact]
    public async Task Dispatch_LingerZero_OneRequestPerMessage()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:00" });

        var results = await rig.DispatchTogetherAsync(Enumerable.Range(0, 5).Select(i => rig.Envelope($"{{\"user_id\":\"u-{i}\"}}")));

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        Assert.Equal(5, rig.Braze.Requests.Count);
        Assert.All(rig.Braze.Requests, r => Assert.Single(JsonNode.Parse(r.Body)!["attributes"]!.AsArray()));
    }

    [Fact]
    public async Task Dispatch_MoreThanTheObjectCap_SplitsIntoFullRequests()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:01", ["Templates:MaxUsersTrackObjects"] = "4" });
        using var flushes = new MetricCollector<long>(rig.Host.Get<System.Diagnostics.Metrics.IMeterFactory>(), RelayMetrics.MeterName, "relay.batch.flushes");

        var results = await rig.DispatchTogetherAsync(Enumerable.Range(0, 10).Select(i => rig.Envelope($"{{\"user_id\":\"u-{i}\"}}")));

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        Assert.Equal([4, 4, 2], rig.Braze.Requests.Select(r => JsonNode.Parse(r.Body)!["attributes"]!.AsArray().Count).Order().Reverse());
        Assert.Equal(2, flushes.GetMeasurementSnapshot().Count(m => (string?)m.Tags["reason"] == "full"));
        Assert.Equal(1, flushes.GetMeasurementSnapshot().Count(m => (string?)m.Tags["reason"] == "linger"));
    }

    [Fact]
    public async Task Dispatch_NestedValueOptOutOrOtherTopLevelField_AreSentAlone()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, Coalescing);
        var nested = JsonSerializer.Serialize(new { raw = "{\"attributes\":[{\"external_id\":\"n\",\"address\":{\"city\":\"Paris\"}}]}" });
        var flagged = JsonSerializer.Serialize(new { raw = "{\"attributes\":[{\"external_id\":\"f\",\"x\":1}],\"_update_existing_only\":false}" });

        var results = await rig.DispatchTogetherAsync(
        [
            rig.Envelope("{\"user_id\":\"a\"}"),
            rig.Envelope("{\"user_id\":\"b\"}"),
            rig.Envelope(nested),
            rig.Envelope(flagged),
            rig.Envelope("{\"user_id\":\"opt-out\",\"coalesce\":false}"),
        ]);

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var bodies = rig.Braze.Requests.Select(r => r.Body).ToList();
        Assert.Equal(4, bodies.Count);
        Assert.Single(bodies, b => b.Contains("\"a\"", StringComparison.Ordinal) && b.Contains("\"b\"", StringComparison.Ordinal));
        Assert.Single(bodies, b => b.Contains("Paris", StringComparison.Ordinal) && !b.Contains("\"a\"", StringComparison.Ordinal));
        Assert.Single(bodies, b => b.Contains("_update_existing_only", StringComparison.Ordinal) && !b.Contains("\"a\"", StringComparison.Ordinal));
        Assert.Single(bodies, b => b.Contains("opt-out", StringComparison.Ordinal) && !b.Contains("\"a\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dispatch_Triggers_MergeRecipientsOnlyWithEqualFieldsNeverBroadcastsOrRepeatedRecipients()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, Coalescing);
        static string Trigger(string body) => JsonSerializer.Serialize(new { endpoint = "/canvas/trigger/send", raw = body });

        var results = await rig.DispatchTogetherAsync(
        [
            rig.Envelope(Trigger("{\"canvas_id\":\"c1\",\"recipients\":[{\"external_user_id\":\"u1\"}]}")),
            rig.Envelope(Trigger("{\"canvas_id\":\"c1\",\"recipients\":[{\"external_user_id\":\"u2\"}]}")),
            rig.Envelope(Trigger("{\"canvas_id\":\"c1\",\"recipients\":[{\"external_user_id\":\"u1\"}]}")),
            rig.Envelope(Trigger("{\"canvas_id\":\"c2\",\"recipients\":[{\"external_user_id\":\"u3\"}]}")),
            rig.Envelope(Trigger("{\"canvas_id\":\"c1\",\"broadcast\":true}")),
        ]);

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        var requests = rig.Braze.Requests.Select(r => JsonNode.Parse(r.Body)!.AsObject()).ToList();
        Assert.Equal(4, requests.Count);
        Assert.Single(requests, r => r["broadcast"] is not null && r["recipients"] is null);
        Assert.Single(requests, r => r["canvas_id"]!.GetValue<string>() == "c2");
        var c1 = requests.Where(r => r["canvas_id"]!.GetValue<string>() == "c1" && r["recipients"] is not null)
            .Select(r => r["recipients"]!.AsArray().Select(x => x!["external_user_id"]!.GetValue<string>()).Order().ToList()).OrderBy(l => l.Count).ToList();
        // u1 twice never lands in one request.
        Assert.Equal([["u1"], ["u1", "u2"]], c1);
    }

    [Fact]
    public async Task Dispatch_ByteCap_KeepsEachRequestBelowIt()
    {
        await using var rig = await DispatchRig.StartAsync(azurite, new() { ["Dispatch:BatchLinger"] = "00:00:01", ["Dispatch:MaxRequestBytes"] = "2000" });
        var padding = new string('x', 600);

        var results = await rig.DispatchTogetherAsync(Enumerable.Range(0, 6).Select(i => rig.Envelope($"{{\"user_id\":\"u-{i}\",\"plan\":\"{padding}\"}}")));

        Assert.All(results, r => Assert.Equal(DispatchOutcome.Delivered, r.Outcome));
        Assert.True(rig.Braze.Requests.Count >= 2, $"{rig.Braze.Requests.Count} requests");
        Assert.All(rig.Braze.Requests, r => Assert.True(System.Text.Encoding.UTF8.GetByteCount(r.Body) <= 2000, $"{r.Body.Length} bytes"));
        Assert.Equal(6, rig.Braze.Requests.Sum(r => JsonNode.Parse(r.Body)!["attributes"]!.AsArray().Count));
    }
}
