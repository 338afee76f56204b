namespace BrazeFunctions.Core.Templates;

/// <summary>The rules of <see cref="BrazeDialect"/>: one pass over the template, rewriting Braze's forms as it copies.</summary>
internal sealed class BrazeTranslator(string source) : SourceRewriter(source)
{
    public List<FilterUse> Filters { get; } = [];

    public List<string> LoopLiterals { get; } = [];

    public void Run()
    {
        while (Index < Source.Length)
        {
            if (At("{%") || At("{{"))
            {
                var name = TagName(Index + 2);
                if (name is not null && BrazeDialect.RefusedTags.TryGetValue(name, out var refusal))
                {
                    throw new TemplateSyntaxException(refusal, Index);
                }
            }

            if (At("{%"))
            {
                var name = TagName(Index + 2);
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
        var tag = new TagScan(statement, tagName, Index - 2);
        while (Index < Source.Length)
        {
            var c = Source[Index];
            if (c is '"' or '\'')
            {
                ScanQuoted(tag, c);
            }
            else if (TryInnerBraces(tag) || TryReference())
            {
                continue;
            }
            else if (c == '|')
            {
                RecordFilter();
                Copy(1);
            }
            else if (TryLiquidLine(tag, c) || TryLoopSource(tag, c) || TryAbortArgument(tag, c))
            {
                continue;
            }
            else if (TryTagEnd(tag))
            {
                return;
            }
            else
            {
                Copy(1);
            }
        }

        throw new TemplateSyntaxException(statement ? "'%}' was expected to close this tag" : "'}}' was expected to close this output", tag.Start);
    }

    private void ScanQuoted(TagScan tag, char quote)
    {
        if (tag.Name == "capture" && !tag.SawParen && Output.ToString(tag.Start, Output.Length - tag.Start).Trim() is "{% capture" or "{%- capture")
        {
            // Ruby accepts {% capture 'name' %}; Fluid wants a bare name. Blanking the quotes keeps every position.
            var close = Source.IndexOf(quote, Index + 1);
            if (close > Index)
            {
                Replace(1, " ");
                Copy(close - Index);
                Replace(1, " ");
                return;
            }
        }

        if (tag.ExpectLoopSource)
        {
            ReplaceLoopLiteral(quote);
            tag.ExpectLoopSource = false;
            return;
        }

        CopyQuoted(quote);
    }

    /// <summary>Braze accepts {% assign n = {{ expr }} | filter %} and {{ a | plus: {{ b }} }}: inner braces are noise to Liquid.</summary>
    private bool TryInnerBraces(TagScan tag)
    {
        if (At("{{"))
        {
            Replace(2, "  ");
            tag.Nested++;
            return true;
        }

        if (tag.Nested > 0 && At("}}"))
        {
            Replace(2, "  ");
            tag.Nested--;
            return true;
        }

        return false;
    }

    private bool TryReference()
    {
        if (At(".${") || At("${"))
        {
            ReplaceReference(dotted: At(".${"));
            return true;
        }

        return false;
    }

    /// <summary>Each line of a {% liquid %} tag is a tag of its own.</summary>
    private bool TryLiquidLine(TagScan tag, char c)
    {
        if (!tag.IsLiquid || c != '\n')
        {
            return false;
        }

        if (tag.IsAbort && tag.SawParen)
        {
            throw new TemplateSyntaxException("')' was expected to close abort_message(", tag.ArgStart);
        }

        Copy(1);
        tag.IsAbort = AtWord("abort_message");
        tag.SawParen = false;
        return true;
    }

    private bool TryLoopSource(TagScan tag, char c)
    {
        if (tag.Statement && (tag.Name is "for" or "tablerow" || tag.IsLiquid) && IsLoopIn())
        {
            Copy(2);
            tag.ExpectLoopSource = true;
            return true;
        }

        if (tag.ExpectLoopSource && !char.IsWhiteSpace(c))
        {
            tag.ExpectLoopSource = false;
        }

        return false;
    }

    /// <summary>abort_message('reason') becomes abort_message 'reason': Fluid's tags take no parentheses.</summary>
    private bool TryAbortArgument(TagScan tag, char c)
    {
        if (tag.IsAbort && !tag.SawParen && c == '(')
        {
            tag.SawParen = true;
            Replace(1, " ");
            tag.ArgStart = Output.Length;
            return true;
        }

        if (tag.IsAbort && tag.SawParen && c == ')' && NextNonSpaceIsEnd(Index + 1, tag.IsLiquid))
        {
            Replace(1, Output.ToString(tag.ArgStart, Output.Length - tag.ArgStart).Trim().Length == 0 ? "''" : " ");
            tag.SawParen = false;
            tag.IsAbort = false;
            return true;
        }

        return false;
    }

    private bool TryTagEnd(TagScan tag)
    {
        if (!(tag.Statement ? At("%}") || At("-%}") : At("}}") || At("-}}")))
        {
            return false;
        }

        if (tag.IsAbort && !tag.SawParen && !tag.IsLiquid)
        {
            // {% abort_message %} with no reason at all.
            Insert(" ''");
        }

        Copy(At("-") ? 3 : 2);
        return true;
    }

    /// <summary>Remembers the filter named after this '|' with its position in the original text.</summary>
    private void RecordFilter()
    {
        var j = Index + 1;
        while (j < Source.Length && Source[j] is ' ' or '\t' or '\n' or '\r')
        {
            j++;
        }

        var k = j;
        while (k < Source.Length && (char.IsLetterOrDigit(Source[k]) || Source[k] is '_' or '-'))
        {
            k++;
        }

        if (k > j)
        {
            Filters.Add(new FilterUse(Source[j..k], j));
        }
    }

    private void ReplaceLoopLiteral(char quote)
    {
        var end = Source.IndexOf(quote, Index + 1);
        if (end < 0)
        {
            Copy(1);
            return;
        }

        // Ruby Liquid loops once over a string; Fluid's grammar has no string after 'in', so a placeholder stands in.
        LoopLiterals.Add(Source[(Index + 1)..end]);
        Replace(end + 1 - Index, BrazeDialect.LoopLiteralName(LoopLiterals.Count - 1));
    }

    private void ReplaceReference(bool dotted)
    {
        var start = Index;
        var nameStart = Index + (dotted ? 3 : 2);
        var end = nameStart;
        while (end < Source.Length && Source[end] != '}' && Source[end] != '\n')
        {
            end++;
        }

        if (end >= Source.Length || Source[end] != '}')
        {
            throw new TemplateSyntaxException("'}' was expected to close this ${...} reference", dotted ? start + 1 : start);
        }

        var name = Source[nameStart..end].Trim();
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

    private void CopyVerbatimBlock(string name)
    {
        var end = Source.IndexOf("end" + name, Index, StringComparison.Ordinal);
        var close = end < 0 ? -1 : Source.IndexOf("%}", end, StringComparison.Ordinal);
        if (close < 0)
        {
            throw new TemplateSyntaxException($"'{{% end{name} %}}' was expected after this tag", Index);
        }

        Copy(close + 2 - Index);
    }

}
