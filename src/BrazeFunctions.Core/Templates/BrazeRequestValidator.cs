using System.Text.Json;
using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Core.Templates;

/// <summary>
/// Rejects rendered bodies Braze is certain to refuse, before they cost a request: the /users/track object limit and
/// identifiers, and the recipients limit of the trigger endpoints. Messages name fields and counts, never values.
/// </summary>
internal static class BrazeRequestValidator
{
    private static readonly string[] TrackArrays = ["attributes", "events", "purchases"];
    private static readonly string[] TrackIdentifiers = ["external_id", "braze_id", "email", "phone"];
    private static readonly string[] RecipientIdentifiers = ["external_user_id", "user_alias", "email"];

    public static string? Validate(string endpoint, JsonElement body, BrazeRequestLimits limits)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return $"the rendered body is a JSON {body.ValueKind.ToString().ToLowerInvariant()}, not a JSON object";
        }

        return endpoint switch
        {
            BrazeEndpoints.UsersTrack => ValidateUsersTrack(body, limits.MaxUsersTrackObjects),
            BrazeEndpoints.CanvasTriggerSend => ValidateTrigger(body, "canvas_id", limits.MaxTriggerRecipients),
            BrazeEndpoints.CampaignsTriggerSend => ValidateTrigger(body, "campaign_id", limits.MaxTriggerRecipients),
            _ => null,
        };
    }

    private static string? ValidateUsersTrack(JsonElement body, int maxObjects)
    {
        var total = 0;
        foreach (var name in TrackArrays)
        {
            if (!body.TryGetProperty(name, out var array) || array.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (array.ValueKind != JsonValueKind.Array)
            {
                return $"'{name}' must be an array of objects";
            }

            var index = 0;
            foreach (var item in array.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    return $"{name}[{index}] is not an object";
                }

                if (TrackIdentifierProblem(item) is { } problem)
                {
                    return $"{name}[{index}] {problem}";
                }

                index++;
            }

            total += index;
        }

        return total > maxObjects
            ? $"the /users/track request has {total} objects across attributes, events and purchases; Braze accepts at most {maxObjects} per request"
            : null;
    }

    private static string? TrackIdentifierProblem(JsonElement item)
    {
        foreach (var name in TrackIdentifiers)
        {
            if (item.TryGetProperty(name, out var id))
            {
                return IsNonEmptyString(id) ? null : $"has an empty or non-string '{name}'";
            }
        }

        if (item.TryGetProperty("user_alias", out var alias))
        {
            return IsAlias(alias) ? null : "has a 'user_alias' without a non-empty alias_name and alias_label";
        }

        return "has no identifier (external_id, braze_id, user_alias, email or phone)";
    }

    private static string? ValidateTrigger(JsonElement body, string idField, int maxRecipients)
    {
        if (!body.TryGetProperty(idField, out var id) || !IsNonEmptyString(id))
        {
            return $"'{idField}' is missing or empty";
        }

        var broadcast = body.TryGetProperty("broadcast", out var b) && b.ValueKind == JsonValueKind.True;
        if (!body.TryGetProperty("recipients", out var recipients) || recipients.ValueKind == JsonValueKind.Null)
        {
            return broadcast ? null : "there are no 'recipients'; a request without recipients must set \"broadcast\": true";
        }

        if (recipients.ValueKind != JsonValueKind.Array)
        {
            return "'recipients' must be an array of objects";
        }

        var count = recipients.GetArrayLength();
        if (count > maxRecipients)
        {
            return $"'recipients' has {count} entries; Braze accepts at most {maxRecipients} per request";
        }

        var index = 0;
        foreach (var recipient in recipients.EnumerateArray())
        {
            if (recipient.ValueKind != JsonValueKind.Object)
            {
                return $"recipients[{index}] is not an object";
            }

            var present = RecipientIdentifiers.Where(n => recipient.TryGetProperty(n, out _)).ToList();
            if (present.Count != 1)
            {
                return $"recipients[{index}] must have exactly one of external_user_id, user_alias or email (has {present.Count})";
            }

            var value = recipient.GetProperty(present[0]);
            if (present[0] == "user_alias" ? !IsAlias(value) : !IsNonEmptyString(value))
            {
                return $"recipients[{index}].{present[0]} is empty";
            }

            index++;
        }

        return null;
    }

    private static bool IsNonEmptyString(JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.GetString()!.Trim().Length > 0;

    private static bool IsAlias(JsonElement alias) =>
        alias.ValueKind == JsonValueKind.Object
        && alias.TryGetProperty("alias_name", out var n) && IsNonEmptyString(n)
        && alias.TryGetProperty("alias_label", out var l) && IsNonEmptyString(l);
}
