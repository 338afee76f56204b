using System.Text.Json.Nodes;

namespace BrazeFunctions.Sandbox;

/// <summary>
/// The objects one request carried and the user each names, so that a measuring script can count objects per call and
/// spot an object applied twice. An object without a user it can name is counted with an empty id.
/// </summary>
internal static class ObjectCensus
{
    public static IReadOnlyList<string> UserIds(string path, JsonObject? request)
    {
        if (request is null)
        {
            return [];
        }

        return path switch
        {
            BrazeBuckets.UsersTrackPath => [.. BrazeRules.UsersTrackArrays.SelectMany(array => Objects(request[array])).Select(UserOf)],
            "/canvas/trigger/send" or "/campaigns/trigger/send" => [.. Objects(request["recipients"]).Select(UserOf)],
            "/messages/send" => [.. Strings(request["external_user_ids"]), .. Objects(request["user_aliases"]).Select(UserOf)],
            "/users/identify" => [.. Objects(request["aliases_to_identify"]).Select(UserOf)],
            "/users/alias/new" or "/users/alias/update" => [.. Objects(request["user_aliases"]).Select(UserOf), .. Objects(request["alias_updates"]).Select(UserOf)],
            "/users/merge" => [.. Objects(request["merge_updates"]).Select(m => UserOf(m?["identifier_to_keep"] as JsonObject))],
            "/users/delete" => [.. Strings(request["external_ids"]), .. Strings(request["braze_ids"])],
            "/subscription/status/set" or "/v2/subscription/status/set" => SubscriptionUsers(request),
            _ => [],
        };
    }

    private static IEnumerable<JsonObject?> Objects(JsonNode? node) => (node as JsonArray ?? []).Select(item => item as JsonObject);

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonArray array => array.Select(item => item?.ToString() ?? string.Empty),
        JsonValue value => [value.ToString()],
        _ => [],
    };

    private static string UserOf(JsonObject? item)
    {
        if (item is null)
        {
            return string.Empty;
        }

        foreach (var field in (string[])["external_id", "external_user_id", "braze_id", "email", "phone"])
        {
            if (item[field] is JsonValue value)
            {
                return value.ToString();
            }
        }

        return (item["user_alias"] as JsonObject ?? item)["alias_name"]?.ToString() ?? string.Empty;
    }

    private static List<string> SubscriptionUsers(JsonObject request)
    {
        var users = Strings(request["external_id"]).ToList();
        foreach (var group in Objects(request["subscription_groups"]))
        {
            users.AddRange(Strings(group?["external_ids"]));
        }

        return users.Count > 0 ? users : [.. Strings(request["email"]), .. Strings(request["phone"])];
    }
}
