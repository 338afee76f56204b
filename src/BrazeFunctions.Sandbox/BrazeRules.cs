using System.Text.Json.Nodes;

namespace BrazeFunctions.Sandbox;

/// <summary>A Braze answer's status and JSON body.</summary>
internal readonly record struct BrazeReply(int Code, string Body)
{
    public bool Succeeded => Code is >= 200 and < 300;
}

/// <summary>
/// Braze's body checks, per endpoint, for a request that passed auth, the path check and the rate limit: 400 with a
/// Braze-like <c>{"message": ...}</c> when the request is refused whole, 201 with per-object <c>errors</c> when only part of
/// a /users/track request is bad, 201 <c>{"dispatch_id": ..., "message": "success"}</c> for sends.
/// </summary>
internal static class BrazeRules
{
    public static readonly string[] Identifiers = ["external_id", "user_alias", "braze_id", "email", "phone"];

    public static readonly string[] UsersTrackArrays = ["attributes", "events", "purchases"];

    public static BrazeReply Evaluate(string path, JsonObject? request, int usersTrackObjectCap)
    {
        if (request is null)
        {
            return new(400, "{\"message\":\"Received unparseable request: the body must be a JSON object\"}");
        }

        return path switch
        {
            BrazeBuckets.UsersTrackPath => UsersTrack(request, usersTrackObjectCap),
            "/canvas/trigger/send" when request["canvas_id"] is not JsonValue => Refuse("Invalid 'canvas_id'"),
            "/campaigns/trigger/send" when request["campaign_id"] is not JsonValue => Refuse("Invalid 'campaign_id'"),
            "/canvas/trigger/send" or "/campaigns/trigger/send" or "/messages/send" => Dispatched(),
            "/users/identify" when request["aliases_to_identify"] is not JsonArray => Refuse("Missing 'aliases_to_identify'"),
            "/subscription/status/set" or "/v2/subscription/status/set" when request["subscription_group_id"] is null && request["subscription_groups"] is null =>
                Refuse("Missing 'subscription_group_id'"),
            _ => new(201, "{\"message\":\"success\"}"),
        };
    }

    private static BrazeReply UsersTrack(JsonObject request, int objectCap)
    {
        var errors = new JsonArray();
        var processed = new Dictionary<string, int>(StringComparer.Ordinal);
        var total = 0;
        foreach (var array in UsersTrackArrays)
        {
            processed[array] = 0;
            if (request[array] is not JsonArray items)
            {
                continue;
            }

            for (var i = 0; i < items.Count; i++)
            {
                total++;
                if (items[i] is JsonObject item && Identifiers.Count(item.ContainsKey) == 1)
                {
                    processed[array]++;
                }
                else
                {
                    errors.Add(new JsonObject { ["type"] = "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required", ["input_array"] = array, ["index"] = i });
                }
            }
        }

        if (total == 0)
        {
            return Refuse("Missing 'attributes', 'events' or 'purchases'");
        }

        if (total > objectCap)
        {
            return Refuse("Max Input Length Exceeded");
        }

        if (errors.Count == total)
        {
            return new(400, new JsonObject { ["message"] = "Invalid request: no valid object", ["errors"] = errors }.ToJsonString());
        }

        var answer = new JsonObject
        {
            ["message"] = "success",
            ["attributes_processed"] = processed["attributes"],
            ["events_processed"] = processed["events"],
            ["purchases_processed"] = processed["purchases"],
        };
        if (errors.Count > 0)
        {
            answer["errors"] = errors;
        }

        return new(201, answer.ToJsonString());
    }

    private static BrazeReply Refuse(string message) => new(400, new JsonObject { ["message"] = message }.ToJsonString());

    private static BrazeReply Dispatched() => new(201, "{\"dispatch_id\":\"" + Guid.NewGuid().ToString("N") + "\",\"message\":\"success\"}");
}
