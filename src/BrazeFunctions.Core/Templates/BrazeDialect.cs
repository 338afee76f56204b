using System.Text;

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
        var translator = new Translator(source);
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
    private static readonly Dictionary<string, string> RefusedTags = new(StringComparer.Ordinal)
    {
        ["connected_content"] = "'connected_content' is a Braze-only tag that cannot work in the relay: a template may not call out over HTTP (it would also open a server-side request forgery hole); send the data in the webhook payload instead",
        ["content_blocks"] = "'content_blocks' is a Braze-only reference that cannot work in the relay: Content Blocks live in Braze; paste the block's Liquid into the template",
        ["catalog_items"] = "'catalog_items' is a Braze-only tag that cannot work in the relay: catalogs live in Braze; send the items in the webhook payload",
        ["catalog_selection_items"] = "'catalog_selection_items' is a Braze-only tag that cannot work in the relay: catalogs live in Braze; send the items in the webhook payload",
        ["promotion"] = "'promotion' (promotion codes) is a Braze-only tag that cannot work in the relay: code lists live in Braze; send the code in the webhook payload",
    };

    private sealed class Translator(string source)
    {
        private int _i;

        public StringBuilder Output { get; } = new(source.Length + 64);

        public List<SourceEdit> Edits { get; } = [];

        public List<FilterUse> Filters { get; } = [];

        public List<string> LoopLiterals { get; } = [];

        public void Run()
        {
            while (_i < source.Length)
            {
                if (At("{%") || At("{{"))
                {
                    var name = TagName(_i + 2);
                    if (name is not null && RefusedTags.TryGetValue(name, out var refusal))
                    {
                        throw new TemplateSyntaxException(refusal, _i);
                    }
                }

                if (At("{%"))
                {
                    var name = TagName(_i + 2);
                    if (name is "raw" or "comment")
                    {
                        CopyVerbatimBlock(name);
                        continue;
                    }

                    Copy(2);
                    ScanTag(statement: true, name);
                }
                else if (At("{{"))
                {
                    Copy(2);
                    ScanTag(statement: false, tagName: null);
                }
                else
                {
                    Copy(1);
                }
            }
        }

        private void ScanTag(bool statement, string? tagName)
        {
            var start = _i - 2;
            var nested = 0;
            var isLiquid = tagName == "liquid";
            var isAbort = tagName == "abort_message";
            var sawParen = false;
            var argStart = -1;
            var expectLoopSource = false;
            while (_i < source.Length)
            {
                var c = source[_i];
                if (c is '"' or '\'')
                {
                    if (tagName == "capture" && !sawParen && Output.ToString(start, Output.Length - start).Trim() is "{% capture" or "{%- capture")
                    {
                        // Ruby accepts {% capture 'name' %}; Fluid wants a bare name. Blanking the quotes keeps every position.
                        var close = source.IndexOf(c, _i + 1);
                        if (close > _i)
                        {
                            Replace(1, " ");
                            Copy(close - _i);
                            Replace(1, " ");
                            continue;
                        }
                    }

                    if (expectLoopSource)
                    {
                        ReplaceLoopLiteral(c);
                        expectLoopSource = false;
                        continue;
                    }

                    CopyQuoted(c);
                    continue;
                }

                if (At("{{"))
                {
                    // Braze accepts {% assign n = {{ expr }} | filter %} and {{ a | plus: {{ b }} }}: inner braces are noise to Liquid.
                    Replace(2, "  ");
                    nested++;
                    continue;
                }

                if (nested > 0 && At("}}"))
                {
                    Replace(2, "  ");
                    nested--;
                    continue;
                }

                if (At(".${"))
                {
                    ReplaceReference(dotted: true);
                    continue;
                }

                if (At("${"))
                {
                    ReplaceReference(dotted: false);
                    continue;
                }

                if (c == '|')
                {
                    RecordFilter();
                    Copy(1);
                    continue;
                }

                if (isLiquid && c == '\n')
                {
                    // Each line of a {% liquid %} tag is a tag of its own.
                    if (isAbort && sawParen)
                    {
                        throw new TemplateSyntaxException("')' was expected to close abort_message(", argStart);
                    }

                    Copy(1);
                    isAbort = AtWord("abort_message");
                    sawParen = false;
                    continue;
                }

                if (statement && (tagName is "for" or "tablerow" || isLiquid) && IsLoopIn())
                {
                    Copy(2);
                    expectLoopSource = true;
                    continue;
                }

                if (expectLoopSource && !char.IsWhiteSpace(c))
                {
                    expectLoopSource = false;
                }

                if (isAbort && !sawParen && c == '(')
                {
                    sawParen = true;
                    Replace(1, " ");
                    argStart = Output.Length;
                    continue;
                }

                if (isAbort && sawParen && c == ')' && NextNonSpaceIsEnd(_i + 1, isLiquid))
                {
                    Replace(1, Output.ToString(argStart, Output.Length - argStart).Trim().Length == 0 ? "''" : " ");
                    sawParen = false;
                    isAbort = false;
                    continue;
                }

                if (statement ? At("%}") || At("-%}") : At("}}") || At("-}}"))
                {
                    if (isAbort && !sawParen && !isLiquid)
                    {
                        // {% abort_message %} with no reason at all.
                        Insert(" ''");
                    }

                    Copy(At("-") ? 3 : 2);
                    return;
                }

                Copy(1);
            }

            throw new TemplateSyntaxException(statement ? "'%}' was expected to close this tag" : "'}}' was expected to close this output", start);
        }

        /// <summary>Remembers the filter named after this '|' with its position in the original text.</summary>
        private void RecordFilter()
        {
            var j = _i + 1;
            while (j < source.Length && source[j] is ' ' or '\t' or '\n' or '\r')
            {
                j++;
            }

            var k = j;
            while (k < source.Length && (char.IsLetterOrDigit(source[k]) || source[k] is '_' or '-'))
            {
                k++;
            }

            if (k > j)
            {
                Filters.Add(new FilterUse(source[j..k], j));
            }
        }

        private void ReplaceLoopLiteral(char quote)
        {
            var end = source.IndexOf(quote, _i + 1);
            if (end < 0)
            {
                Copy(1);
                return;
            }

            // Ruby Liquid loops once over a string; Fluid's grammar has no string after 'in', so a placeholder stands in.
            LoopLiterals.Add(source[(_i + 1)..end]);
            Replace(end + 1 - _i, LoopLiteralName(LoopLiterals.Count - 1));
        }

        private bool AtWord(string word)
        {
            var j = _i;
            while (j < source.Length && source[j] is ' ' or '\t')
            {
                j++;
            }

            return string.CompareOrdinal(source, j, word, 0, word.Length) == 0
                && (j + word.Length >= source.Length || !(char.IsLetterOrDigit(source[j + word.Length]) || source[j + word.Length] == '_'))
                && (j == _i || source[_i] is ' ' or '\t');
        }

        /// <summary>True at the word 'in' of <c>for x in ...</c>, with whitespace on both sides.</summary>
        private bool IsLoopIn() =>
            At("in") && _i > 0 && char.IsWhiteSpace(source[_i - 1]) && _i + 2 < source.Length && char.IsWhiteSpace(source[_i + 2]);

        private void ReplaceReference(bool dotted)
        {
            var start = _i;
            var nameStart = _i + (dotted ? 3 : 2);
            var end = nameStart;
            while (end < source.Length && source[end] != '}' && source[end] != '\n')
            {
                end++;
            }

            if (end >= source.Length || source[end] != '}')
            {
                throw new TemplateSyntaxException("'}' was expected to close this ${...} reference", dotted ? start + 1 : start);
            }

            var name = source[nameStart..end].Trim();
            if (name.Length == 0)
            {
                throw new TemplateSyntaxException("the ${...} reference has no name", dotted ? start + 1 : start);
            }

            var quote = name.Contains('"', StringComparison.Ordinal) ? '\'' : '"';
            if (name.Contains(quote, StringComparison.Ordinal))
            {
                throw new TemplateSyntaxException("a ${...} name cannot contain both ' and \"", dotted ? start + 1 : start);
            }

            var replacement = (dotted ? "[" : "payload[") + quote + name + quote + "]";
            Replace(end + 1 - start, replacement);
        }

        private void CopyQuoted(char quote)
        {
            // An unclosed quote is left to Fluid, whose error then names the real problem (usually an unclosed tag).
            // Ruby Liquid's string literals may span lines.
            var end = source.IndexOf(quote, _i + 1);
            Copy(end >= 0 ? end + 1 - _i : 1);
        }

        private void CopyVerbatimBlock(string name)
        {
            var end = source.IndexOf("end" + name, _i, StringComparison.Ordinal);
            var close = end < 0 ? -1 : source.IndexOf("%}", end, StringComparison.Ordinal);
            if (close < 0)
            {
                throw new TemplateSyntaxException($"'{{% end{name} %}}' was expected after this tag", _i);
            }

            Copy(close + 2 - _i);
        }

        private string? TagName(int from)
        {
            var j = from;
            while (j < source.Length && (source[j] == '-' || char.IsWhiteSpace(source[j])))
            {
                j++;
            }

            var k = j;
            while (k < source.Length && (char.IsLetterOrDigit(source[k]) || source[k] == '_'))
            {
                k++;
            }

            return k > j ? source[j..k] : null;
        }

        private bool NextNonSpaceIsEnd(int from, bool lineEnds)
        {
            var j = from;
            while (j < source.Length && source[j] is ' ' or '\t' or '\r' || (!lineEnds && j < source.Length && source[j] == '\n'))
            {
                j++;
            }

            return string.CompareOrdinal(source, j, "%}", 0, 2) == 0 || string.CompareOrdinal(source, j, "-%}", 0, 3) == 0
                || (lineEnds && j < source.Length && source[j] == '\n');
        }

        private bool At(string token) => string.CompareOrdinal(source, _i, token, 0, token.Length) == 0;

        private void Copy(int count)
        {
            Output.Append(source, _i, count);
            _i += count;
        }

        private void Replace(int originalLength, string replacement)
        {
            if (replacement.Length != originalLength)
            {
                Edits.Add(new SourceEdit(Output.Length, replacement.Length, _i, originalLength));
            }

            Output.Append(replacement);
            _i += originalLength;
        }

        private void Insert(string text)
        {
            Edits.Add(new SourceEdit(Output.Length, text.Length, _i, 0));
            Output.Append(text);
        }
    }
}

/// <summary>A filter named in the template, at its offset in the original text.</summary>
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
