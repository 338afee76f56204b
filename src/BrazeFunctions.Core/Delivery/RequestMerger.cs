using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BrazeFunctions.Core.Braze;

namespace BrazeFunctions.Core.Delivery;

/// <summary>How a rendered request may be merged with others to the same endpoint.</summary>
internal enum MergeKind
{
    /// <summary>Sent alone.</summary>
    None,

    /// <summary><c>/users/track</c>: attributes, events and purchases are concatenated.</summary>
    UsersTrack,

    /// <summary><c>/canvas/trigger/send</c>, <c>/campaigns/trigger/send</c>: recipients are concatenated when the rest is equal.</summary>
    Recipients,

    /// <summary><c>/users/identify</c>: <c>aliases_to_identify</c> are concatenated when the rest is equal.</summary>
    IdentifyAliases,

    /// <summary><c>/subscription/status/set</c>: the <c>external_id</c>s are concatenated when group, state and the rest are equal.</summary>
    SubscriptionUsers,
}

internal static class MergeKinds
{
    /// <summary>The top-level field whose entries a merge of <paramref name="kind"/> concatenates; null for <c>/users/track</c> (three arrays) and for bodies sent alone.</summary>
    public static string? ListField(this MergeKind kind) => kind switch
    {
        MergeKind.Recipients => "recipients",
        MergeKind.IdentifyAliases => "aliases_to_identify",
        MergeKind.SubscriptionUsers => "external_id",
        _ => null,
    };
}

/// <summary>
/// What the merger knows about one rendered body: its kind, its merge key (bodies merge only when their keys are equal), how many
/// objects it contributes, its recipients' identities, and its size. <see cref="AloneBecause"/> says why it is sent alone.
/// </summary>
internal sealed record RequestShape(MergeKind Kind, string MergeKey, JsonObject Body, int Objects, IReadOnlyList<string> RecipientIds, int Bytes, string? AloneBecause);

/// <summary>
/// The coalescing rules, and the merged body with the map back from Braze's error indexes to the item that contributed
/// each object. <c>/users/track</c> bodies merge when they hold only <c>attributes</c>, <c>events</c> and
/// <c>purchases</c> and no nested attribute value (Braze drops every nested update of a request when one is invalid);
/// trigger bodies merge their <c>recipients</c>, <c>/users/identify</c> bodies their <c>aliases_to_identify</c> and
/// <c>/subscription/status/set</c> bodies their <c>external_id</c>s, when every other field is equal, never for a
/// broadcast, never twice the same user. Everything else is sent alone.
/// </summary>
internal static class RequestMerger
{
    private static readonly string[] TrackArrays = ["attributes", "events", "purchases"];

    private static readonly string[] RecipientIdentifiers = ["external_user_id", "user_alias", "email", "braze_id"];

    public static RequestShape Analyze(string endpoint, string bodyJson, bool coalesce)
    {
        ArgumentNullException.ThrowIfNull(bodyJson);
        var body = JsonNode.Parse(bodyJson) as JsonObject ?? new JsonObject();
        var bytes = Encoding.UTF8.GetByteCount(bodyJson);
        // A /users/track body sent alone still counts its objects, so that Braze's partial errors can be weighed against them.
        var trackObjects = endpoint == BrazeEndpoints.UsersTrack ? TrackArrays.Sum(name => body[name] is JsonArray array ? array.Count : 0) : 1;
        var alone = new RequestShape(MergeKind.None, string.Empty, body, Math.Max(1, trackObjects), [], bytes, null);
        if (!coalesce)
        {
            return Alone(alone, "the template or the message says to send it alone");
        }

        return endpoint switch
        {
            BrazeEndpoints.UsersTrack => AnalyzeUsersTrack(alone),
            BrazeEndpoints.CanvasTriggerSend or BrazeEndpoints.CampaignsTriggerSend => AnalyzeTrigger(alone),
            BrazeEndpoints.UsersIdentify => AnalyzeList(alone, MergeKind.IdentifyAliases, AliasOwner),
            BrazeEndpoints.SubscriptionStatusSet => AnalyzeSubscription(alone),
            _ => Alone(alone, $"requests to {endpoint} are not merged"),
        };
    }

    /// <summary>Builds one request from <paramref name="items"/> (already in receipt order).</summary>
    public static MergedRequest Merge(IReadOnlyList<DeliveryItem> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 1 || items[0].Shape.Kind == MergeKind.None)
        {
            return Single(items);
        }

        var map = new Dictionary<string, List<(int Start, int Count, DeliveryItem Item)>>(StringComparer.Ordinal);
        var buffer = new ArrayBufferWriter<byte>(items.Sum(i => i.Shape.Bytes) + 64);
        using (var writer = new Utf8JsonWriter(buffer, MergeJson.WriterOptions))
        {
            writer.WriteStartObject();
            if (items[0].Shape.Kind == MergeKind.UsersTrack)
            {
                WriteTrackArrays(writer, items, map);
            }
            else
            {
                WriteWithEveryEntry(writer, items, items[0].Shape.Kind.ListField()!);
            }

            writer.WriteEndObject();
        }

        return new MergedRequest(Encoding.UTF8.GetString(buffer.WrittenSpan), items.Sum(i => i.Shape.Objects), map, items);
    }

    /// <summary><paramref name="shape"/> (the body as it would be sent alone) with the reason it is sent alone.</summary>
    private static RequestShape Alone(RequestShape shape, string because) => shape with { AloneBecause = because };

    /// <summary>
    /// A <c>/users/track</c> body merges when it holds only non-empty arrays of objects named <c>attributes</c>, <c>events</c>
    /// and <c>purchases</c>, and no attribute has a nested value.
    /// </summary>
    private static RequestShape AnalyzeUsersTrack(RequestShape alone)
    {
        var objects = 0;
        foreach (var (name, value) in alone.Body)
        {
            if (!TrackArrays.Contains(name, StringComparer.Ordinal))
            {
                return Alone(alone, $"the body has the top-level field '{name}'");
            }

            if (value is not JsonArray items || items.Any(i => i is not JsonObject))
            {
                return Alone(alone, $"'{name}' is not an array of objects");
            }

            if (name == "attributes" && items.Cast<JsonObject>().Any(HasNestedValue))
            {
                return Alone(alone, "an attribute has a nested (object) value");
            }

            objects += items.Count;
        }

        return objects == 0 ? Alone(alone, "the body has no objects") : alone with { Kind = MergeKind.UsersTrack, Objects = objects };
    }

    /// <summary>A trigger body merges its recipients as <see cref="AnalyzeList"/> says; never a broadcast.</summary>
    private static RequestShape AnalyzeTrigger(RequestShape alone)
    {
        if (alone.Body["broadcast"] is JsonValue broadcast && broadcast.TryGetValue<bool>(out var isBroadcast) && isBroadcast)
        {
            return Alone(alone, "it is a broadcast");
        }

        return AnalyzeList(alone, MergeKind.Recipients, Identity);
    }

    /// <summary>
    /// A <c>/subscription/status/set</c> body merges its users as <see cref="AnalyzeList"/> says when it names them by
    /// <c>external_id</c> (a string or an array of strings) and by nothing else.
    /// </summary>
    private static RequestShape AnalyzeSubscription(RequestShape alone)
    {
        if (alone.Body.ContainsKey("email") || alone.Body.ContainsKey("phone"))
        {
            return Alone(alone, "it names users by email or phone");
        }

        if (alone.Body["external_id"] is JsonValue single)
        {
            // One user as a plain string: the same request as an array of one.
            // A body that is sent alone after all goes as it was rendered.
            var body = (JsonObject)alone.Body.DeepClone();
            body["external_id"] = new JsonArray(single.DeepClone());
            var shape = AnalyzeList(alone with { Body = body }, MergeKind.SubscriptionUsers, ExternalId);
            return shape.Kind == MergeKind.None ? Alone(alone, shape.AloneBecause!) : shape;
        }

        return AnalyzeList(alone, MergeKind.SubscriptionUsers, ExternalId);
    }

    /// <summary>
    /// A body whose <paramref name="kind"/>'s list field holds entries, each naming one user (<paramref name="userOf"/>),
    /// merges them with other bodies whose every other field is equal (the merge key); never an entry without a user,
    /// never the same user twice.
    /// </summary>
    private static RequestShape AnalyzeList(RequestShape alone, MergeKind kind, Func<JsonNode?, string?> userOf)
    {
        var field = kind.ListField()!;
        if (alone.Body[field] is not JsonArray entries || entries.Count == 0)
        {
            return Alone(alone, $"it has no '{field}'");
        }

        var ids = new List<string>(entries.Count);
        foreach (var entry in entries)
        {
            if (userOf(entry) is not { } id)
            {
                return Alone(alone, $"an entry of '{field}' names no single user");
            }

            ids.Add(id);
        }

        if (ids.Distinct(StringComparer.Ordinal).Count() != ids.Count)
        {
            return Alone(alone, $"it names a user twice in '{field}'");
        }

        return alone with { Kind = kind, MergeKey = MergeKeyWithout(alone.Body, field), Objects = ids.Count, RecipientIds = ids };
    }

    /// <summary>Every field but <paramref name="listField"/>, as canonical JSON: list bodies merge only when these are equal.</summary>
    private static string MergeKeyWithout(JsonObject body, string listField)
    {
        var rest = new JsonObject();
        foreach (var (name, value) in body.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (name != listField)
            {
                rest[name] = value?.DeepClone();
            }
        }

        return MergeJson.Canonical(rest);
    }

    /// <summary>A request of one body as it is, with its track arrays mapped to it so that partial errors still find their owner.</summary>
    private static MergedRequest Single(IReadOnlyList<DeliveryItem> items)
    {
        var single = items[0];
        var spans = new Dictionary<string, List<(int Start, int Count, DeliveryItem Item)>>(StringComparer.Ordinal);
        foreach (var name in TrackArrays)
        {
            if (single.Shape.Body[name] is JsonArray array)
            {
                spans[name] = [(0, array.Count, single)];
            }
        }

        return new MergedRequest(MergeJson.Write(single.Shape.Body), single.Shape.Objects, spans, items);
    }

    /// <summary>Concatenates each track array over <paramref name="items"/>, recording in <paramref name="map"/> which item holds which span.</summary>
    private static void WriteTrackArrays(Utf8JsonWriter writer, IReadOnlyList<DeliveryItem> items, Dictionary<string, List<(int Start, int Count, DeliveryItem Item)>> map)
    {
        foreach (var name in TrackArrays)
        {
            var offset = 0;
            foreach (var item in items)
            {
                if (item.Shape.Body[name] is not JsonArray array || array.Count == 0)
                {
                    continue;
                }

                if (offset == 0)
                {
                    writer.WriteStartArray(name);
                    map[name] = [];
                }

                foreach (var element in array)
                {
                    element!.WriteTo(writer);
                }

                map[name].Add((offset, array.Count, item));
                offset += array.Count;
            }

            if (offset > 0)
            {
                writer.WriteEndArray();
            }
        }
    }

    /// <summary>Writes the first item's fields, with <paramref name="listField"/> replaced by every item's entries in order.</summary>
    private static void WriteWithEveryEntry(Utf8JsonWriter writer, IReadOnlyList<DeliveryItem> items, string listField)
    {
        foreach (var (name, value) in items[0].Shape.Body)
        {
            writer.WritePropertyName(name);
            if (name != listField)
            {
                MergeJson.WriteValue(writer, value);
                continue;
            }

            writer.WriteStartArray();
            foreach (var item in items)
            {
                foreach (var entry in (JsonArray)item.Shape.Body[listField]!)
                {
                    entry!.WriteTo(writer);
                }
            }

            writer.WriteEndArray();
        }
    }

    /// <summary>The one identifier a recipient is known by, as canonical JSON, e.g. <c>{"external_user_id":"u1"}</c>.</summary>
    private static string? Identity(JsonNode? entry)
    {
        if (entry is not JsonObject recipient)
        {
            return null;
        }

        var present = RecipientIdentifiers.Where(recipient.ContainsKey).ToList();
        return present.Count == 1 ? MergeJson.Canonical(new JsonObject { [present[0]] = recipient[present[0]]?.DeepClone() }) : null;
    }

    /// <summary>
    /// The user an alias to identify becomes, e.g. <c>{"external_id":"u1"}</c>: an entry needs a string
    /// <c>external_id</c> and a <c>user_alias</c> object. Two aliases for one user never share a request.
    /// </summary>
    private static string? AliasOwner(JsonNode? entry) =>
        entry is JsonObject alias && alias["user_alias"] is JsonObject && ExternalId(alias["external_id"]) is { } id
            ? MergeJson.Canonical(new JsonObject { ["external_id"] = id })
            : null;

    /// <summary>A non-empty string, as itself; null for anything else.</summary>
    private static string? ExternalId(JsonNode? entry) =>
        entry is JsonValue value && value.TryGetValue<string>(out var id) && id.Length > 0 ? id : null;

    private static bool HasNestedValue(JsonObject attributes) => attributes.Any(p => BrazeAttributeOperators.IsNestedValue(p.Value));
}

/// <summary>A merged request body, and which item contributed each object of each array.</summary>
internal sealed class MergedRequest(string bodyJson, int objects, Dictionary<string, List<(int Start, int Count, DeliveryItem Item)>> spans, IReadOnlyList<DeliveryItem> items)
{
    public string BodyJson { get; } = bodyJson;

    public int Objects { get; } = objects;

    public IReadOnlyList<DeliveryItem> Items { get; } = items;

    /// <summary>
    /// The item whose object Braze's error names (its <c>input_array</c> and <c>index</c> in the merged body), with the
    /// error re-indexed within that item's own array; null when the error names no object of this request.
    /// </summary>
    public (DeliveryItem Item, BrazePartialError Error)? OwnerOf(BrazePartialError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.InputArray is not { } array || error.Index is not { } index || !spans.TryGetValue(array, out var list))
        {
            return null;
        }

        foreach (var (start, count, item) in list)
        {
            if (index >= start && index < start + count)
            {
                return (item, error with { Index = index - start });
            }
        }

        return null;
    }
}
