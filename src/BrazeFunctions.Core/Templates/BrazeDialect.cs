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
        return new TranslatedSource(source, translator.Output.ToString(), translator.Edits);
    }

    private sealed class Translator(string source)
    {
        private int _i;

        public StringBuilder Output { get; } = new(source.Length + 64);

        public List<SourceEdit> Edits { get; } = [];

        public void Run()
        {
            while (_i < source.Length)
            {
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
            var isAbort = tagName == "abort_message";
            var sawParen = false;
            var argStart = -1;
            while (_i < source.Length)
            {
                var c = source[_i];
                if (c is '"' or '\'')
                {
                    CopyQuoted(c);
                    continue;
                }

                if (statement && At("{{"))
                {
                    // Braze accepts {% assign n = {{ expr }} | filter %}: the inner braces are noise to Liquid.
                    Replace(2, "  ");
                    nested++;
                    continue;
                }

                if (statement && nested > 0 && At("}}"))
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

                if (isAbort && !sawParen && c == '(')
                {
                    sawParen = true;
                    Replace(1, " ");
                    argStart = Output.Length;
                    continue;
                }

                if (isAbort && sawParen && c == ')' && NextNonSpaceIsTagEnd(_i + 1))
                {
                    if (Output.ToString(argStart, Output.Length - argStart).Trim().Length == 0)
                    {
                        Replace(1, "''");
                    }
                    else
                    {
                        Replace(1, " ");
                    }

                    continue;
                }

                if (statement ? At("%}") || At("-%}") : At("}}") || At("-}}"))
                {
                    if (isAbort && !sawParen)
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
            var end = _i + 1;
            while (end < source.Length && source[end] != quote && source[end] != '\n')
            {
                end++;
            }

            Copy(end < source.Length && source[end] == quote ? end + 1 - _i : 1);
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

        private bool NextNonSpaceIsTagEnd(int from)
        {
            var j = from;
            while (j < source.Length && source[j] is ' ' or '\t' or '\n')
            {
                j++;
            }

            return string.CompareOrdinal(source, j, "%}", 0, 2) == 0 || string.CompareOrdinal(source, j, "-%}", 0, 3) == 0;
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

/// <summary>One place where the translated text differs in length from the original.</summary>
internal readonly record struct SourceEdit(int TranslatedStart, int TranslatedLength, int OriginalStart, int OriginalLength);

/// <summary>The Fluid-ready text of a template and the way back to the author's positions.</summary>
internal sealed class TranslatedSource(string original, string text, IReadOnlyList<SourceEdit> edits)
{
    public string Original { get; } = original;

    public string Text { get; } = text;

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
