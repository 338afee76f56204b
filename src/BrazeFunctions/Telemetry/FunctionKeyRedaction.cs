using System.Text;

namespace BrazeFunctions.Telemetry;

/// <summary>
/// Removes the value of the <c>code</c> query parameter, the Functions key Braze users paste into webhook URLs, from any
/// text that may hold a URL: <c>...?code=abc&amp;x=1</c> becomes <c>...?code=REDACTED&amp;x=1</c>.
/// </summary>
internal static class FunctionKeyRedaction
{
    public const string Placeholder = "REDACTED";

    private const string Parameter = "code=";

    /// <summary>True when <paramref name="text"/> holds a non-empty <c>code</c> query parameter.</summary>
    public static bool ContainsKey(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        for (var at = FindParameter(text, 0); at >= 0; at = FindParameter(text, at + Parameter.Length))
        {
            var value = at + Parameter.Length;
            if (value < text.Length && !EndsValue(text[value]) && !text.AsSpan(value).StartsWith(Placeholder, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><paramref name="text"/> with every <c>code</c> query parameter's value replaced by <see cref="Placeholder"/>.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!ContainsKey(text))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        var copied = 0;
        for (var at = FindParameter(text, 0); at >= 0; at = FindParameter(text, copied))
        {
            var value = at + Parameter.Length;
            var end = value;
            while (end < text.Length && !EndsValue(text[end]))
            {
                end++;
            }

            result.Append(text, copied, value - copied);
            if (end > value)
            {
                result.Append(Placeholder);
            }

            copied = end;
        }

        return result.Append(text, copied, text.Length - copied).ToString();
    }

    /// <summary>
    /// The next <c>code=</c> that starts a query parameter: at the start of the text (a bare query string such as the
    /// <c>url.query</c> tag) or after <c>?</c>, <c>&amp;</c> or <c>;</c>. Names that merely end in "code" (<c>zipcode=</c>) and
    /// prose ("status code=401") are left alone.
    /// </summary>
    private static int FindParameter(string text, int from)
    {
        while (from < text.Length)
        {
            var at = text.IndexOf(Parameter, from, StringComparison.OrdinalIgnoreCase);
            if (at < 0)
            {
                return -1;
            }

            if (at == 0 || text[at - 1] is '?' or '&' or ';')
            {
                return at;
            }

            from = at + Parameter.Length;
        }

        return -1;
    }

    private static bool EndsValue(char c) => c is '&' or '#' or ';' or '"' or '\'' or '<' or '>' || char.IsWhiteSpace(c);
}
