using System.Collections.Frozen;
using System.Text.Json.Nodes;

namespace BrazeFunctions.Sandbox;

/// <summary>Braze's rate-limit buckets: each has its own limit and window, and an answer from one says nothing about another.</summary>
internal enum BrazeBucket
{
    UsersTrack,
    Identity,
    Messaging,
    Broadcast,
    Subscription,
    Other,
}

/// <summary>
/// Which paths the sandbox serves (anything else is 404, as Braze answers an invalid URL) and which bucket each request
/// counts against. The table follows Braze's rate-limits page; the send endpoints fall into two buckets by their body.
/// </summary>
internal static class BrazeBuckets
{
    public const string UsersTrackPath = "/users/track";

    private static readonly FrozenDictionary<string, BrazeBucket> Paths = new Dictionary<string, BrazeBucket>(StringComparer.Ordinal)
    {
        [UsersTrackPath] = BrazeBucket.UsersTrack,
        ["/users/identify"] = BrazeBucket.Identity,
        ["/users/alias/new"] = BrazeBucket.Identity,
        ["/users/alias/update"] = BrazeBucket.Identity,
        ["/users/merge"] = BrazeBucket.Identity,
        ["/users/delete"] = BrazeBucket.Identity,
        ["/messages/send"] = BrazeBucket.Messaging,
        ["/campaigns/trigger/send"] = BrazeBucket.Messaging,
        ["/canvas/trigger/send"] = BrazeBucket.Messaging,
        ["/subscription/status/set"] = BrazeBucket.Subscription,
        ["/v2/subscription/status/set"] = BrazeBucket.Subscription,
        ["/users/external_ids/rename"] = BrazeBucket.Other,
        ["/users/external_ids/remove"] = BrazeBucket.Other,
        ["/users/export/ids"] = BrazeBucket.Other,
        ["/subscription/status/get"] = BrazeBucket.Other,
        ["/subscription/user/status"] = BrazeBucket.Other,
        ["/messages/schedule/create"] = BrazeBucket.Other,
        ["/campaigns/trigger/schedule/create"] = BrazeBucket.Other,
        ["/canvas/trigger/schedule/create"] = BrazeBucket.Other,
        ["/sends/id/create"] = BrazeBucket.Other,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Fields that name recipients; a send without any of them goes to a segment or audience (a broadcast).</summary>
    private static readonly string[] RecipientFields = ["recipients", "external_user_ids", "user_aliases"];

    public static IEnumerable<string> AllowedPaths => Paths.Keys;

    public static bool IsAllowed(string path) => Paths.ContainsKey(path);

    /// <summary>The bucket a request counts against; a path Braze does not serve counts against <see cref="BrazeBucket.Other"/>.</summary>
    public static BrazeBucket Classify(string path, JsonObject? body)
    {
        var bucket = Paths.GetValueOrDefault(path, BrazeBucket.Other);
        return bucket == BrazeBucket.Messaging && !NamesRecipients(body) ? BrazeBucket.Broadcast : bucket;
    }

    /// <summary>The name used on the command line, in the JSONL record and on the console.</summary>
    public static string Name(BrazeBucket bucket) => bucket switch
    {
        BrazeBucket.UsersTrack => "users-track",
        BrazeBucket.Identity => "identity",
        BrazeBucket.Messaging => "messaging",
        BrazeBucket.Broadcast => "broadcast",
        BrazeBucket.Subscription => "subscription",
        _ => "other",
    };

    public static bool TryParse(string name, out BrazeBucket bucket)
    {
        foreach (var candidate in Enum.GetValues<BrazeBucket>())
        {
            if (string.Equals(Name(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                bucket = candidate;
                return true;
            }
        }

        bucket = default;
        return false;
    }

    /// <summary>Braze's documented default limits (braze-facts.md, "Rate limits"); windows are aligned on the epoch.</summary>
    public static BucketLimit DefaultLimit(BrazeBucket bucket) => bucket switch
    {
        BrazeBucket.UsersTrack => new(3_000, TimeSpan.FromSeconds(3)),
        BrazeBucket.Identity => new(20_000, TimeSpan.FromMinutes(1)),
        BrazeBucket.Broadcast => new(250, TimeSpan.FromMinutes(1)),
        BrazeBucket.Subscription => new(5_000, TimeSpan.FromMinutes(1)),
        // Messaging and everything else: 250,000 per hour each; an epoch-aligned hour is the clock hour.
        _ => new(250_000, TimeSpan.FromHours(1)),
    };

    private static bool NamesRecipients(JsonObject? body) =>
        body is not null && RecipientFields.Any(field => body[field] is JsonArray { Count: > 0 });
}

/// <summary>Requests allowed per fixed window; windows start on multiples of <see cref="Window"/> since the Unix epoch.</summary>
internal sealed record BucketLimit
{
    public BucketLimit(int requests, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(requests);
        if (window < TimeSpan.FromSeconds(1) || window.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "Braze's windows are whole seconds, at least one.");
        }

        Requests = requests;
        Window = window;
    }

    public int Requests { get; }

    public TimeSpan Window { get; }

    public override string ToString() => $"{Requests}/{(long)Window.TotalSeconds}s";
}
