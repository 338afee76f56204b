using System.Collections.Frozen;

namespace BrazeFunctions.Core.Templates;

/// <summary>
/// Which filters a template may use: Ruby Liquid 5's standard filters and Braze's additions, minus the ones Braze documents
/// as not supported. Anything else is refused when the template is loaded, as Braze refuses a template with an unknown
/// filter, so a typo fails at start-up with its position instead of passing its input through in production.
/// </summary>
internal static class BrazeFilterCatalog
{
    /// <summary>Ruby Liquid 5's standard filters that Braze supports (Braze's "Filters" page and Liquid 5.4's StandardFilters).</summary>
    public static readonly FrozenSet<string> Standard = FrozenSet.Create(StringComparer.Ordinal,
    [
        "abs", "append", "at_least", "at_most", "base64_decode", "base64_encode", "base64_url_safe_decode",
        "base64_url_safe_encode", "capitalize", "ceil", "compact", "concat", "date", "default", "divided_by", "downcase",
        "escape", "escape_once", "first", "floor", "h", "join", "last", "map", "minus", "modulo", "newline_to_br", "plus",
        "prepend", "remove", "remove_first", "remove_last", "replace", "replace_first", "replace_last", "reverse", "round",
        "size", "slice", "sort", "sort_natural", "split", "strip", "strip_html", "strip_newlines", "times", "truncate",
        "truncatewords", "uniq", "upcase", "url_decode", "url_encode", "where",
    ]);

    /// <summary>Filters Braze adds (its "Filters" and "Advanced filters" pages), plus the relay's <c>raw</c> opt-out.</summary>
    public static readonly FrozenSet<string> Braze = FrozenSet.Create(StringComparer.Ordinal,
    [
        "as_json_string", "base64", "hmac_sha1", "hmac_sha1_base64", "hmac_sha1_hex", "hmac_sha256", "hmac_sha256_base64",
        "hmac_sha256_hex", "hmac_sha512", "json_escape", "json_parse", "md5", "money", "number_with_delimiter",
        "property_accessor", "sha1", "sha2", "time_zone", "url_escape", "url_param_escape", "raw",
    ]);

    /// <summary>Filters Braze's documentation marks as not supported, with the reason given at load time.</summary>
    public static readonly FrozenDictionary<string, string> Refused = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["lstrip"] = "Braze does not support the 'lstrip' filter; use 'strip'",
        ["rstrip"] = "Braze does not support the 'rstrip' filter; use 'strip'",
        ["money_with_currency"] = "Braze does not support the 'money_with_currency' filter; write the symbol before '| money'",
        ["money_without_currency"] = "Braze does not support the 'money_without_currency' filter; use 'money'",
        ["camelcase"] = "Braze does not support the 'camelcase' filter",
        ["camelize"] = "Braze does not support the 'camelize' filter",
        ["handle"] = "Braze does not support the 'handle' filter",
        ["handleize"] = "Braze does not support the 'handleize' filter",
        ["pluralize"] = "Braze does not support the 'pluralize' filter",
        ["format_address"] = "Braze does not support the 'format_address' filter",
        ["highlight"] = "Braze does not support the 'highlight' filter",
        ["find_index"] = "Braze does not support the 'find_index' filter; use an index such as array[0]",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static bool IsSupported(string name) => Standard.Contains(name) || Braze.Contains(name);

    /// <summary>Why a filter cannot be used, or null when it can.</summary>
    public static string? Problem(string name)
    {
        if (IsSupported(name))
        {
            return null;
        }

        if (Refused.TryGetValue(name, out var reason))
        {
            return reason;
        }

        var suggestion = Standard.Concat(Braze)
            .Select(known => (known, distance: Distance(name, known)))
            .Where(c => c.distance <= Math.Max(1, name.Length / 4))
            .OrderBy(c => c.distance)
            .ThenBy(c => c.known, StringComparer.Ordinal)
            .Select(c => c.known)
            .FirstOrDefault();
        return suggestion is null
            ? $"unknown filter '{name}' (Braze would refuse this template)"
            : $"unknown filter '{name}' (Braze would refuse this template); did you mean '{suggestion}'?";
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
