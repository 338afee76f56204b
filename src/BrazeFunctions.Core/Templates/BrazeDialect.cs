namespace BrazeFunctions.Core.Templates;

/// <summary>
/// Rewrites the Braze-only parts of a template into Liquid that Fluid parses, remembering every edit so that parse
/// errors point at the author's original text:
/// <c>${name}</c> becomes <c>payload["name"]</c>, <c>x.${name}</c> becomes <c>x["name"]</c>, <c>{{ }}</c> nested in a
/// <c>{% %}</c> tag is blanked out, and <c>abort_message('reason')</c> loses its parentheses.
/// </summary>
internal static class BrazeDialect
{
    public static TranslatedSource Translate(string source)
    {
        var translator = new BrazeTranslator(source);
        translator.Run();
        return new TranslatedSource(source, translator.Output.ToString(), translator.Edits)
        {
            Filters = translator.Filters,
            LoopLiterals = translator.LoopLiterals,
        };
    }

    /// <summary>The placeholder that stands for the n-th string literal after <c>for ... in</c>.</summary>
    public static string LoopLiteralName(int index) => "__relay_for_literal_" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Braze tags that need Braze's own services; a relay has none of them.</summary>
    internal static readonly Dictionary<string, string> RefusedTags = new(StringComparer.Ordinal)
    {
        ["connected_content"] = "'connected_content' is a Braze-only tag that cannot work in the relay: a template may not call out over HTTP (it would also open a server-side request forgery hole); send the data in the webhook payload instead",
        ["content_blocks"] = "'content_blocks' is a Braze-only reference that cannot work in the relay: Content Blocks live in Braze; paste the block's Liquid into the template",
        ["catalog_items"] = "'catalog_items' is a Braze-only tag that cannot work in the relay: catalogs live in Braze; send the items in the webhook payload",
        ["catalog_selection_items"] = "'catalog_selection_items' is a Braze-only tag that cannot work in the relay: catalogs live in Braze; send the items in the webhook payload",
        ["promotion"] = "'promotion' (promotion codes) is a Braze-only tag that cannot work in the relay: code lists live in Braze; send the code in the webhook payload",
    };
}

/// <summary>A filter named in the template, at its offset in the original text.</summary>
/// <summary>Where the scan of one tag or output stands: what it is, and what it has seen so far.</summary>
internal sealed class TagScan(bool statement, string? name, int start)
{
    /// <summary>A <c>{% %}</c> tag (else a <c>{{ }}</c> output).</summary>
    public bool Statement { get; } = statement;

    public string? Name { get; } = name;

    /// <summary>Where the tag starts in the output, for errors.</summary>
    public int Start { get; } = start;

    public bool IsLiquid { get; } = name == "liquid";

    public bool IsAbort { get; set; } = name == "abort_message";

    /// <summary>Inner <c>{{ }}</c> pairs open inside the tag.</summary>
    public int Nested { get; set; }

    public bool SawParen { get; set; }

    public int ArgStart { get; set; } = -1;

    public bool ExpectLoopSource { get; set; }
}

internal readonly record struct FilterUse(string Name, int Offset);

/// <summary>One place where the translated text differs in length from the original.</summary>
internal readonly record struct SourceEdit(int TranslatedStart, int TranslatedLength, int OriginalStart, int OriginalLength);

/// <summary>The Fluid-ready text of a template and the way back to the author's positions.</summary>
internal sealed class TranslatedSource(string original, string text, IReadOnlyList<SourceEdit> edits)
{
    public string Original { get; } = original;

    public string Text { get; } = text;

    public IReadOnlyList<FilterUse> Filters { get; init; } = [];

    public IReadOnlyList<string> LoopLiterals { get; init; } = [];

    public int ToOriginalOffset(int translatedOffset)
    {
        var result = translatedOffset;
        foreach (var edit in edits)
        {
            if (translatedOffset < edit.TranslatedStart)
            {
                break;
            }

            if (translatedOffset < edit.TranslatedStart + edit.TranslatedLength)
            {
                return edit.OriginalStart;
            }

            result = edit.OriginalStart + edit.OriginalLength + (translatedOffset - edit.TranslatedStart - edit.TranslatedLength);
        }

        return result;
    }

    /// <summary>Maps a 1-based line and column of the translated text to the original text.</summary>
    public (int Line, int Column) ToOriginalPosition(int line, int column) =>
        PositionOf(Original, ToOriginalOffset(OffsetOf(Text, line, column)));

    public static (int Line, int Column) PositionOf(string text, int offset)
    {
        offset = Math.Clamp(offset, 0, text.Length);
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return (line, offset - lineStart + 1);
    }

    private static int OffsetOf(string text, int line, int column)
    {
        var offset = 0;
        for (var l = 1; l < line && offset < text.Length; l++)
        {
            var next = text.IndexOf('\n', offset);
            if (next < 0)
            {
                return text.Length;
            }

            offset = next + 1;
        }

        return Math.Min(offset + column - 1, text.Length);
    }
}

/// <summary>A Braze-dialect construct that cannot be translated; <see cref="Offset"/> is in the original text.</summary>
internal sealed class TemplateSyntaxException(string message, int offset) : Exception(message)
{
    public int Offset { get; } = offset;
}
