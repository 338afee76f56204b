using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace BrazeFunctions.Core.Braze;

/// <summary>
/// Braze's rate-limit buckets. Each has its own limit and window, and an answer from one says nothing about another
/// (Braze's rate-limits page; scaled figures in docs/dispatch.md).
/// </summary>
internal enum BrazeBucket
{
    /// <summary><c>/users/track</c>: 3,000 requests per 3 s by default (contracts differ: an hourly limit plus a burst limit).</summary>
    UsersTrack,

    /// <summary><c>/users/identify</c>, <c>/users/alias/new</c>, <c>/users/merge</c> (and Braze's other identity calls): 20,000 per minute, shared.</summary>
    Identity,

    /// <summary><c>/messages/send</c>, <c>/campaigns/trigger/send</c>, <c>/canvas/trigger/send</c> naming recipients: 250,000 per hour, shared.</summary>
    Messaging,

    /// <summary>The same three endpoints with a segment or audience and no recipients: 250 per minute.</summary>
    Broadcast,

    /// <summary><c>/subscription/status/set</c>: 5,000 per minute.</summary>
    Subscription,

    /// <summary>Everything else: 250,000 per hour, shared.</summary>
    Other,
}

/// <summary>
/// The Braze REST paths the relay may call, and which rate-limit bucket each belongs to: one table, so that the allow-list
/// and the pacing can never disagree. Anything else is refused when a template is loaded and again before a request is
/// built, so a template can never turn the relay into a proxy to another path or host.
/// </summary>
internal static class BrazeEndpoints
{
    public const string UsersTrack = "/users/track";
    public const string UsersIdentify = "/users/identify";
    public const string UsersAliasNew = "/users/alias/new";
    public const string UsersMerge = "/users/merge";
    public const string MessagesSend = "/messages/send";
    public const string CanvasTriggerSend = "/canvas/trigger/send";
    public const string CampaignsTriggerSend = "/campaigns/trigger/send";
    public const string SubscriptionStatusSet = "/subscription/status/set";
    public const string SubscriptionStatusSetV2 = "/v2/subscription/status/set";

    /// <summary>
    /// The allow-list with each endpoint's bucket. A messaging endpoint is <see cref="BrazeBucket.Messaging"/> here; its
    /// body decides whether it is a broadcast (<see cref="BucketOf"/>). Braze's page names only the first version of the
    /// subscription endpoint; the second does the same job and is paced with it.
    /// </summary>
    private static readonly FrozenDictionary<string, BrazeBucket> Table = new Dictionary<string, BrazeBucket>(StringComparer.Ordinal)
    {
        [UsersTrack] = BrazeBucket.UsersTrack,
        [UsersIdentify] = BrazeBucket.Identity,
        [UsersAliasNew] = BrazeBucket.Identity,
        [UsersMerge] = BrazeBucket.Identity,
        [MessagesSend] = BrazeBucket.Messaging,
        [CanvasTriggerSend] = BrazeBucket.Messaging,
        [CampaignsTriggerSend] = BrazeBucket.Messaging,
        [SubscriptionStatusSet] = BrazeBucket.Subscription,
        [SubscriptionStatusSetV2] = BrazeBucket.Subscription,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The fields through which a messaging request names its recipients; without any, it is a broadcast.</summary>
    private static readonly string[] RecipientFields = ["recipients", "external_user_ids", "user_aliases"];

    /// <summary>Allow-listed endpoints; anything else is rejected when the template is loaded.</summary>
    public static IReadOnlySet<string> Allowed { get; } = Table.Keys.ToFrozenSet(StringComparer.Ordinal);

    public static bool IsAllowed(string? endpoint) => endpoint is not null && Table.ContainsKey(endpoint);

    /// <summary>
    /// The bucket a request to <paramref name="endpoint"/> with <paramref name="body"/> is counted in: the table's, except
    /// that a messaging request whose body names no recipients (a segment, an audience, a broadcast) is a broadcast.
    /// </summary>
    public static BrazeBucket BucketOf(string endpoint, JsonObject? body)
    {
        var bucket = Table.GetValueOrDefault(endpoint, BrazeBucket.Other);
        return bucket == BrazeBucket.Messaging && !NamesRecipients(body) ? BrazeBucket.Broadcast : bucket;
    }

    /// <summary>The bucket's name in metrics, logs and the shared pacing table.</summary>
    public static string NameOf(BrazeBucket bucket) => bucket switch
    {
        BrazeBucket.UsersTrack => "users-track",
        BrazeBucket.Identity => "identity",
        BrazeBucket.Messaging => "messaging",
        BrazeBucket.Broadcast => "broadcast",
        BrazeBucket.Subscription => "subscription",
        _ => "other",
    };

    private static bool NamesRecipients(JsonObject? body) =>
        body is not null && RecipientFields.Any(field => body[field] is JsonArray { Count: > 0 });
}
