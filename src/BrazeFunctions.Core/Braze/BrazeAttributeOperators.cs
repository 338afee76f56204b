using System.Text.Json.Nodes;

namespace BrazeFunctions.Core.Braze;

/// <summary>
/// The operation objects Braze accepts as a custom attribute's value in <c>/users/track</c>, in one table: which change
/// a value relative to what is there (applied twice, they apply twice), and which work on nested arrays of objects
/// (where one invalid value makes Braze drop every nested update of the request).
/// </summary>
internal static class BrazeAttributeOperators
{
    private sealed record Operator(bool Relative, bool OnNestedObjects);

    private static readonly Dictionary<string, Operator> Table = new(StringComparer.Ordinal)
    {
        ["inc"] = new(Relative: true, OnNestedObjects: false),
        ["add"] = new(Relative: true, OnNestedObjects: false),
        ["remove"] = new(Relative: true, OnNestedObjects: false),
        ["$add"] = new(Relative: true, OnNestedObjects: true),
        ["$remove"] = new(Relative: true, OnNestedObjects: true),
        ["$update"] = new(Relative: true, OnNestedObjects: true),
        ["$time"] = new(Relative: false, OnNestedObjects: false),
    };

    /// <summary>
    /// True when the attribute value is nested: an object that is not a flat operation (<c>inc</c>, <c>add</c>,
    /// <c>remove</c>, <c>$time</c> on plain values), or an array holding objects or arrays.
    /// </summary>
    public static bool IsNestedValue(JsonNode? value) => IsNested(value, operatorAllowed: true);

    /// <summary>True when the value, at any depth, uses an operator that changes the attribute relative to what is there.</summary>
    public static bool IsRelativeUpdate(JsonNode? value) =>
        value is JsonObject o && o.Any(p => (Table.TryGetValue(p.Key, out var op) && op.Relative) || IsRelativeUpdate(p.Value));

    private static bool IsNested(JsonNode? value, bool operatorAllowed) => value switch
    {
        JsonObject o => !(operatorAllowed && o.Count > 0 && o.All(p => IsFlatOperator(p.Key) && !IsNested(p.Value, operatorAllowed: false))),
        JsonArray a => a.Any(e => e is JsonObject or JsonArray),
        _ => false,
    };

    private static bool IsFlatOperator(string key) => Table.TryGetValue(key, out var op) && !op.OnNestedObjects;
}
