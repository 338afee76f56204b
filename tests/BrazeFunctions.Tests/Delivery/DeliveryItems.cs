using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Delivery;
using BrazeFunctions.Core.Messages;

namespace BrazeFunctions.Tests.Delivery;

/// <summary>Builds delivery items for merger tests: a body, an endpoint, a receipt time.</summary>
internal static class DeliveryItems
{
    public static readonly BrazeWorkspace Workspace = new("default", new Uri("https://rest.fra-01.braze.eu"), "key", null, null);
    private static readonly DateTimeOffset Start = new(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);

    public static DeliveryItem Item(string body, string endpoint = BrazeEndpoints.UsersTrack, int secondsAfterStart = 0, string? id = null, bool coalesce = true)
    {
        var envelope = new WebhookEnvelope(WebhookEnvelope.CurrentVersion, id ?? Guid.NewGuid().ToString("N"), "route", Start.AddSeconds(secondsAfterStart), "{}", null, null, 0);
        var shape = RequestMerger.Analyze(endpoint, body, coalesce);
        return new DeliveryItem(envelope, Workspace, endpoint, shape, envelope.Id, AmbiguousOutcomePolicy.DeadLetter, coalesce);
    }
}
