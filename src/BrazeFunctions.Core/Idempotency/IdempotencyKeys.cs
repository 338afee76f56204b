using System.Security.Cryptography;
using System.Text;

namespace BrazeFunctions.Core.Idempotency;

/// <summary>Which record: a webhook seen at the ingress (by its Idempotency-Key header) or a delivery claimed at dispatch.</summary>
internal enum RecordKind
{
    Webhook,
    Delivery,
}

/// <summary>
/// The table keys of a record. PartitionKey: two hex digits of SHA-256(route|key), spreading the load. RowKey:
/// <c>kind|route|key</c>, readable in the portal, unless the key holds a character Table Storage refuses in keys or the
/// whole RowKey would pass Table Storage's 1 KiB limit: then the key is replaced by its hash. The limit is on the whole
/// RowKey, not on the key: a key of 500 characters behind a long route is too long although the key alone is not.
/// </summary>
internal static class IdempotencyKeys
{
    /// <summary>Table Storage's limit on a PartitionKey or RowKey: 1 KiB, counted here both as UTF-16 and as UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1024;

    public static (string PartitionKey, string RowKey) For(RecordKind kind, string route, string key)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(key);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(route + "|" + key)));
        var prefix = (kind == RecordKind.Webhook ? "w|" : "d|") + route + "|";
        var readable = prefix + key;
        if (IsAllowed(key) && Fits(readable))
        {
            return (hash[..2], readable);
        }

        var hashed = prefix + "sha256-" + hash;
        // A route is at most 64 characters, so this always fits; the route is dropped only if that rule ever changes.
        return (hash[..2], Fits(hashed) ? hashed : (kind == RecordKind.Webhook ? "w|" : "d|") + "sha256-" + hash);
    }

    /// <summary>True when <paramref name="rowKey"/> is within Table Storage's key size limit.</summary>
    public static bool Fits(string rowKey) =>
        rowKey.Length * sizeof(char) <= MaxKeyBytes && Encoding.UTF8.GetByteCount(rowKey) <= MaxKeyBytes;

    /// <summary>Table Storage refuses '/', '\', '#', '?' and control characters (U+0000-U+001F, U+007F-U+009F) in keys.</summary>
    private static bool IsAllowed(string key) =>
        key.All(c => c >= 0x20 && c is not ('/' or '\\' or '#' or '?') && (c < 0x7F || c > 0x9F));
}
