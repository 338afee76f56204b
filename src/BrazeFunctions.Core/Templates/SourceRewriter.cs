using System.Text;

namespace BrazeFunctions.Core.Templates;

/// <summary>
/// Copies a source text to <see cref="Output"/> while rewriting parts of it, and records every rewrite whose length
/// differs (<see cref="Edits"/>) so that positions in the output map back to the original text.
/// </summary>
internal abstract class SourceRewriter(string source)
{
    protected string Source { get; } = source;

    /// <summary>The position in <see cref="Source"/> that the next copy or rewrite starts from.</summary>
    protected int Index { get; set; }

    public StringBuilder Output { get; } = new(source.Length + 64);

    public List<SourceEdit> Edits { get; } = [];

    protected bool AtWord(string word)
    {
        var j = Index;
        while (j < Source.Length && Source[j] is ' ' or '\t')
        {
            j++;
        }

        return string.CompareOrdinal(Source, j, word, 0, word.Length) == 0
            && (j + word.Length >= Source.Length || !(char.IsLetterOrDigit(Source[j + word.Length]) || Source[j + word.Length] == '_'))
            && (j == Index || Source[Index] is ' ' or '\t');
    }

    /// <summary>True at the word 'in' of <c>for x in ...</c>, with whitespace on both sides.</summary>
    protected bool IsLoopIn() =>
        At("in") && Index > 0 && char.IsWhiteSpace(Source[Index - 1]) && Index + 2 < Source.Length && char.IsWhiteSpace(Source[Index + 2]);

    protected void CopyQuoted(char quote)
    {
        // An unclosed quote is left to Fluid, whose error then names the real problem (usually an unclosed tag).
        // Ruby Liquid's string literals may span lines.
        var end = Source.IndexOf(quote, Index + 1);
        Copy(end >= 0 ? end + 1 - Index : 1);
    }

    protected string? TagName(int from)
    {
        var j = from;
        while (j < Source.Length && (Source[j] == '-' || char.IsWhiteSpace(Source[j])))
        {
            j++;
        }

        var k = j;
        while (k < Source.Length && (char.IsLetterOrDigit(Source[k]) || Source[k] == '_'))
        {
            k++;
        }

        return k > j ? Source[j..k] : null;
    }

    protected bool NextNonSpaceIsEnd(int from, bool lineEnds)
    {
        var j = from;
        while (j < Source.Length && Source[j] is ' ' or '\t' or '\r' || (!lineEnds && j < Source.Length && Source[j] == '\n'))
        {
            j++;
        }

        return string.CompareOrdinal(Source, j, "%}", 0, 2) == 0 || string.CompareOrdinal(Source, j, "-%}", 0, 3) == 0
            || (lineEnds && j < Source.Length && Source[j] == '\n');
    }

    protected bool At(string token) => string.CompareOrdinal(Source, Index, token, 0, token.Length) == 0;

    protected void Copy(int count)
    {
        Output.Append(Source, Index, count);
        Index += count;
    }

    protected void Replace(int originalLength, string replacement)
    {
        if (replacement.Length != originalLength)
        {
            Edits.Add(new SourceEdit(Output.Length, replacement.Length, Index, originalLength));
        }

        Output.Append(replacement);
        Index += originalLength;
    }

    protected void Insert(string text)
    {
        Edits.Add(new SourceEdit(Output.Length, text.Length, Index, 0));
        Output.Append(text);
    }
}
