using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using Fluid.Values;

namespace BrazeFunctions.Core.Templates;

/// <summary>
/// The render target. It follows the JSON being written closely enough to know whether the next character lands inside
/// a JSON string, which is what lets every <c>{{ }}</c> output be escaped for the place it lands in.
/// </summary>
internal sealed class JsonSafeWriter(int maxChars) : TextWriter(CultureInfo.InvariantCulture)
{
    private readonly StringBuilder _buffer = new(1024);
    private bool _escaped;

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>True when the text written so far has opened a JSON string it has not closed.</summary>
    public bool InString { get; private set; }

    public int Line { get; private set; } = 1;

    public override void Write(char value)
    {
        Reserve(1);
        Track(value);
        _buffer.Append(value);
    }

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        Reserve(buffer.Length);
        foreach (var c in buffer)
        {
            Track(c);
        }

        _buffer.Append(buffer);
    }

    public override Task WriteAsync(char value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(char[] buffer, int index, int count)
    {
        Write(buffer, index, count);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return Task.CompletedTask;
    }

    public override Task FlushAsync() => Task.CompletedTask;

    public override string ToString() => _buffer.ToString();

    private void Reserve(int count)
    {
        if (_buffer.Length + count > maxChars)
        {
            throw new TemplateRenderException($"the rendered body is longer than the limit of {maxChars} characters (Templates:MaxOutputChars)");
        }
    }

    private void Track(char c)
    {
        if (c == '\n')
        {
            Line++;
        }

        if (!InString)
        {
            InString = c == '"';
        }
        else if (_escaped)
        {
            _escaped = false;
        }
        else if (c == '\\')
        {
            _escaped = true;
        }
        else if (c == '"')
        {
            InString = false;
        }
    }
}

/// <summary>
/// Escapes every output for where it lands: inside a JSON string as JSON string content; outside a string only a JSON
/// number, <c>true</c>, <c>false</c> or <c>null</c> may be written, so no value can add keys, elements or objects.
/// </summary>
internal sealed partial class JsonSafeEncoder(JsonSafeWriter writer) : TextEncoder
{
    private static readonly TextEncoder Inner = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    public override int MaxOutputCharactersPerInputCharacter => Inner.MaxOutputCharactersPerInputCharacter;

    public override string Encode(string value) => writer.InString ? EscapeForString(value) : RequireScalar(value, writer.Line);

    public override void Encode(TextWriter output, string value, int startIndex, int characterCount) =>
        output.Write(Encode(value.Substring(startIndex, characterCount)));

    public override void Encode(TextWriter output, char[] value, int startIndex, int characterCount) =>
        output.Write(Encode(new string(value, startIndex, characterCount)));

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength) => Inner.FindFirstCharacterToEncode(text, textLength);

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten) =>
        Inner.TryEncodeUnicodeScalar(unicodeScalar, buffer, bufferLength, out numberOfCharactersWritten);

    public override bool WillEncode(int unicodeScalar) => Inner.WillEncode(unicodeScalar);

    public static string EscapeForString(string value) => Inner.Encode(value);

    public static string RequireScalar(string value, int renderedLine) =>
        JsonScalar().IsMatch(value)
            ? value
            : throw new TemplateRenderException(
                $"an output outside a JSON string (rendered line {renderedLine}) is not a JSON number, true, false or null; " +
                "put it inside quotes, or use as_json_string to insert a whole value");

    [GeneratedRegex(@"^(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?|true|false|null)$", RegexOptions.CultureInvariant)]
    private static partial Regex JsonScalar();
}

/// <summary>What a <see cref="JsonTextValue"/> holds.</summary>
internal enum JsonTextKind
{
    /// <summary>JSON text from <c>as_json_string</c>: written as JSON outside a string, as a string holding that JSON inside one.</summary>
    Json,

    /// <summary>
    /// The unescaped text of <c>json_escape</c>. The relay escapes every output once where it lands, so the text stays
    /// plain through assign, capture and further filters; only <c>raw</c> turns it into Braze's escaped text.
    /// </summary>
    EscapedText,
}

/// <summary>Output of <c>json_escape</c> or <c>as_json_string</c>, placed safely where it lands.</summary>
internal sealed class JsonTextValue(string text, JsonTextKind kind) : FluidValue
{
    public JsonTextKind Kind { get; } = kind;

    public override FluidValues Type => FluidValues.String;

    public override bool Equals(FluidValue other) => other is not null && other.ToStringValue() == text;

    public override bool ToBooleanValue() => true;

    public override decimal ToNumberValue() => RubyNumbers.FromString(text);

    public override string ToStringValue() => text;

    public override object ToObjectValue() => text;

    public override bool Contains(FluidValue value) => text.Contains(value.ToStringValue(), StringComparison.Ordinal);

    public override ValueTask WriteToAsync(TextWriter writer, TextEncoder encoder, CultureInfo cultureInfo)
    {
        writer.Write(Placed(writer));
        return default;
    }

    public override bool Equals(object? obj) => obj is FluidValue v && Equals(v);

    public override int GetHashCode() => text.GetHashCode(StringComparison.Ordinal);

    private string Placed(TextWriter writer) => writer switch
    {
        // Inside a string both kinds become string content: a JSON value becomes a string holding that JSON.
        JsonSafeWriter { InString: true } => JsonSafeEncoder.EscapeForString(text),
        JsonSafeWriter { InString: false } json when Kind == JsonTextKind.EscapedText => JsonSafeEncoder.RequireScalar(text, json.Line),
        _ => text,
    };
}

/// <summary>A render that cannot produce a safe, valid body; the message names the problem, never a payload value.</summary>
internal sealed class TemplateRenderException(string message) : Exception(message);

/// <summary>Raised by <c>{% abort_message %}</c> to end the render.</summary>
internal sealed class AbortMessageException(string reason) : Exception(reason)
{
    public string Reason { get; } = reason;
}
