using System.Text.Json.Nodes;
using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Core.Delivery;

/// <summary>
/// The default answer to "Braze may or may not have applied this request; send it again?", when the template's front
/// matter does not say (<c>on_ambiguous</c>). A repeat is harmless only when the request sets values: a /users/track body
/// with attributes whose values are plain (no <c>inc</c>, no array <c>add</c>/<c>remove</c>) and no events or purchases,
/// and the endpoints that set a state (aliases, identification, subscriptions). Counters, events, purchases, merges and
/// every send or trigger endpoint would apply twice, so they are dead-lettered for an operator to check.
/// </summary>
internal static class AmbiguityPolicy
{
    private static readonly HashSet<string> RepeatSafeEndpoints = new(StringComparer.Ordinal)
    {
        "/users/alias/new", "/users/identify", "/subscription/status/set", "/v2/subscription/status/set",
    };

    public static AmbiguousOutcomePolicy For(AmbiguousOutcomePolicy? declared, string endpoint, JsonObject body)
    {
        if (declared is { } policy)
        {
            return policy;
        }

        if (RepeatSafeEndpoints.Contains(endpoint))
        {
            return AmbiguousOutcomePolicy.Retry;
        }

        if (endpoint != BrazeEndpoints.UsersTrack)
        {
            return AmbiguousOutcomePolicy.DeadLetter;
        }

        if (HasItems(body["events"]) || HasItems(body["purchases"]))
        {
            return AmbiguousOutcomePolicy.DeadLetter;
        }

        var attributes = body["attributes"] as JsonArray ?? [];
        return attributes.OfType<JsonObject>().Any(a => a.Any(p => BrazeAttributeOperators.IsRelativeUpdate(p.Value)))
            ? AmbiguousOutcomePolicy.DeadLetter
            : AmbiguousOutcomePolicy.Retry;
    }

    private static bool HasItems(JsonNode? node) => node is JsonArray { Count: > 0 };
}
