using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace BrazeFunctions.Sandbox;

/// <summary>What Braze holds after the requests it applied: profiles' integer attributes, objects, trigger recipients.</summary>
internal sealed class AppliedState
{
    /// <summary>Integer attributes after <c>{"inc": n}</c> updates and plain sets, by "external_id/attribute".</summary>
    public ConcurrentDictionary<string, long> Counters { get; } = new(StringComparer.Ordinal);

    /// <summary>Every /users/track object applied, in order: (array, external_id or braze_id).</summary>
    public ConcurrentQueue<(string Array, string? User)> AppliedObjects { get; } = new();

    /// <summary>Every trigger recipient applied: (canvas or campaign id, external_user_id).</summary>
    public ConcurrentQueue<(string Target, string? User)> Triggered { get; } = new();

    public void Apply(string path, JsonObject? request)
    {
        if (request is null)
        {
            return;
        }

        if (path == BrazeBuckets.UsersTrackPath)
        {
            foreach (var array in BrazeRules.UsersTrackArrays)
            {
                foreach (var item in (request[array] as JsonArray ?? []).OfType<JsonObject>())
                {
                    ApplyObject(array, item);
                }
            }
        }
        else if (path is "/canvas/trigger/send" or "/campaigns/trigger/send")
        {
            var target = (request["canvas_id"] ?? request["campaign_id"])?.ToString() ?? string.Empty;
            foreach (var recipient in (request["recipients"] as JsonArray ?? []).OfType<JsonObject>())
            {
                Triggered.Enqueue((target, recipient["external_user_id"]?.ToString()));
            }
        }
    }

    private void ApplyObject(string array, JsonObject item)
    {
        if (!BrazeRules.Identifiers.Any(item.ContainsKey))
        {
            return;
        }

        var user = (item["external_id"] ?? item["braze_id"])?.ToString();
        AppliedObjects.Enqueue((array, user));
        if (array != "attributes")
        {
            return;
        }

        foreach (var (name, value) in item)
        {
            if (BrazeRules.Identifiers.Contains(name))
            {
                continue;
            }

            if (value is JsonObject operation && operation["inc"] is JsonValue inc && inc.TryGetValue<long>(out var by))
            {
                Counters.AddOrUpdate(user + "/" + name, by, (_, current) => current + by);
            }
            else if (value is JsonValue plain && plain.TryGetValue<long>(out var set))
            {
                Counters[user + "/" + name] = set;
            }
        }
    }
}
