using System.Diagnostics;
using System.Text.Json.Nodes;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace BrazeFunctions.IntegrationTests.Dispatch;

/// <summary>
/// The whole relay with its real parts: a webhook posted to the ingress function lands on the Azurite outbox, the
/// dispatcher renders it with the shipped template and the fake Braze receives the rendered body.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class EndToEndTests(AzuriteFixture azurite)
{
    private const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    [Theory]
    [InlineData("attribute-from-event")]
    [InlineData("trigger-canvas")]
    [InlineData("counter-increment")]
    public async Task PostedWebhook_IsDeliveredToBrazeWithTheRenderedBody(string route)
    {
        await using var rig = await DispatchRig.StartAsync(
            azurite,
            new() { ["Templates:Directory"] = Path.Combine(RepositoryRoot.Path, "templates") },
            useShippedTemplates: true);
        var payload = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "templates", route + ".sample.json"));
        var golden = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot.Path, "tests", "BrazeFunctions.Tests", "Templates", "Golden", route + ".json")))!;
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RelayActivity.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (activities) { activities.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);

        var (status, _, _) = await FunctionCall.PostWebhookAsync(rig.Host.Get<WebhookIngress>(), route, payload, headers: new Dictionary<string, string> { ["traceparent"] = TraceParent });
        Assert.Equal(StatusCodes.Status202Accepted, status);
        var queued = Assert.Single(await rig.ReceiveAllAsync(rig.Outbox));
        var result = await rig.Host.Get<OutboxDispatcher>().DispatchAsync(queued.Body.ToString(), queued.DequeueCount, default);

        Assert.Equal(DispatchOutcome.Delivered, result.Outcome);
        var request = Assert.Single(rig.Braze.Requests);
        Assert.Equal(golden["endpoint"]!.GetValue<string>(), request.Path);
        Assert.True(JsonNode.DeepEquals(golden["body"], JsonNode.Parse(request.Body)), $"Braze received {request.Body}");
        Assert.True(request.Authorized);
        // The delivery continues the ingress request's trace: one operation in Application Insights.
        Activity delivery;
        lock (activities)
        {
            delivery = Assert.Single(activities, a => a.GetTagItem("relay.route") as string == route);
        }

        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", delivery.TraceId.ToHexString());
        Assert.Equal("00f067aa0ba902b7", delivery.ParentSpanId.ToHexString());
        Assert.DoesNotContain(DispatchRig.ApiKey, rig.Host.AllLogText(), StringComparison.Ordinal);
    }
}
