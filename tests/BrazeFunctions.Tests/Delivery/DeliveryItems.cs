using System.Text.Json.Nodes;
using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Messages;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>Builds delivery items for merger tests: a body, an endpoint, a receipt time.</summary>
internal static class DeliveryItems
{
    public static readonly BrazeWorkspace Workspace = new("default", new Uri("https://rest.fra-01.braze.eu"), "key", null, null);
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    public static DeliveryItem Item(string body, string endpoint = BrazeEndpoints.UsersTrack, int secondsAfterStart = 0, string? id = null, bool coalesce = true, BrazeWorkspace? workspace = null)
    {
        var envelope = new WebhookEnvelope(WebhookEnvelope.CurrentVersion, id ?? Guid.NewGuid().ToString("N"), "route", Start.AddSeconds(secondsAfterStart), "{}", null, null, 0);
        var shape = RequestMerger.Analyze(endpoint, body, coalesce);
        return new DeliveryItem(envelope, workspace ?? Workspace, endpoint, shape, envelope.Id, AmbiguousOutcomePolicy.DeadLetter, coalesce);
    }

    /// <summary>A /users/track body with <paramref name="attributes"/> attribute objects and <paramref name="events"/> events.</summary>
    public static string Track(int attributes, int events = 0, string user = "u") =>
        new JsonObject
        {
            ["attributes"] = new JsonArray([.. Enumerable.Range(0, attributes).Select(i => (JsonNode)new JsonObject { ["external_id"] = $"{user}-a{i}", ["plan"] = "gold" })]),
            ["events"] = new JsonArray([.. Enumerable.Range(0, events).Select(i => (JsonNode)new JsonObject { ["external_id"] = $"{user}-e{i}", ["name"] = "e", ["time"] = "2026-11-29T10:00:00Z" })]),
        }.ToJsonString();
}
