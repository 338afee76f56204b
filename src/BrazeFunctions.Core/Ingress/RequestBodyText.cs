using System.Globalization;
using System.Text;
using Microsoft.Net.Http.Headers;

namespace BrazeFunctions.Core.Ingress;

/// <summary>A request body as text and as the UTF-8 bytes the queue carries.</summary>
internal readonly record struct DecodedBody(string Text, ReadOnlyMemory<byte> Utf8);

/// <summary>
/// Turns a request body into text: UTF-8 unless the <c>Content-Type</c> names another charset. Byte order marks and UTF-16 or
/// UTF-32 bodies are recognised, so the caller hears what is wrong with the encoding instead of a JSON parser's complaint
/// about the first byte.
/// </summary>
internal static class RequestBodyText
{
    private const int Utf8CodePage = 65001;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Longest first: the UTF-32 little-endian mark starts with the UTF-16 little-endian one. Charset is the name to declare
    // in Content-Type for the encodings .NET reads; the others cannot be accepted at all.
    private static readonly ByteOrderMark[] Marks =
    [
        new("UTF-32 (little-endian)", [0xFF, 0xFE, 0x00, 0x00], 12000, "utf-32"),
        new("UTF-32 (big-endian)", [0x00, 0x00, 0xFE, 0xFF], 12001, "utf-32be"),
        new("UTF-8", [0xEF, 0xBB, 0xBF], Utf8CodePage, "utf-8"),
        new("UTF-16 (little-endian)", [0xFF, 0xFE], 1200, "utf-16"),
        new("UTF-16 (big-endian)", [0xFE, 0xFF], 1201, "utf-16be"),
        new("GB 18030", [0x84, 0x31, 0x95, 0x33], null, null),
        new("UTF-EBCDIC", [0xDD, 0x73, 0x66, 0x73], null, null),
        new("SCSU", [0x0E, 0xFE, 0xFF], null, null),
        new("BOCU-1", [0xFB, 0xEE, 0x28], null, null),
        new("UTF-1", [0xF7, 0x64, 0x4C], null, null),
        new("UTF-7", [0x2B, 0x2F, 0x76], null, null),
    ];

    /// <summary>
    /// Braze's "raw text" webhooks do not always say they are JSON, so JSON, +json, text/plain and no type are all
    /// accepted as long as the body parses; forms and multipart are not JSON and are refused. <paramref name="encoding"/>
    /// is null for UTF-8 (and its subset US-ASCII), which is read without transcoding.
    /// </summary>
    internal static bool TryGetBodyEncoding(string? contentType, out Encoding? encoding, out string problem)
    {
        encoding = null;
        problem = string.Empty;
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return true;
        }

        const string Accepted = "send application/json, a +json type or text/plain";
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType) || mediaType.MediaType.Value is not { } type)
        {
            problem = $"Content-Type '{WebhookRequestValidator.Truncate(contentType, 100)}' cannot be parsed; {Accepted}.";
            return false;
        }

        var isJson = type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.Equals("text/json", StringComparison.OrdinalIgnoreCase)
            || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || type.Equals("text/plain", StringComparison.OrdinalIgnoreCase);
        if (!isJson)
        {
            problem = $"Content-Type '{WebhookRequestValidator.Truncate(type, 100)}' is not accepted; {Accepted} with the payload as a JSON object.";
            return false;
        }

        var charset = mediaType.Charset.Value?.Trim('"');
        if (string.IsNullOrEmpty(charset)
            || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            || charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        try
        {
            encoding = Encoding.GetEncoding(charset, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
            if (encoding.CodePage == Utf8CodePage)
            {
                encoding = null;
            }

            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            // ArgumentException: a name .NET does not know; NotSupportedException: one it knows and refuses (UTF-7).
            problem = $"Charset '{WebhookRequestValidator.Truncate(charset, 40)}' is not supported; send application/json in UTF-8 (charset=utf-8, or no charset).";
            return false;
        }
    }

    /// <summary>
    /// Decodes <paramref name="body"/> with <paramref name="declared"/> (null: UTF-8). A byte order mark of the declared
    /// encoding is dropped; any other mark, or zero bytes in a body read as UTF-8, is a problem that names the encoding.
    /// </summary>
    internal static bool TryDecode(ReadOnlyMemory<byte> body, Encoding? declared, out DecodedBody decoded, out string problem)
    {
        decoded = default;
        problem = string.Empty;
        var declaredCodePage = declared?.CodePage ?? Utf8CodePage;
        var declaredName = declared?.WebName ?? "utf-8";

        if (FindMark(body.Span) is { } mark)
        {
            if (mark.CodePage != declaredCodePage)
            {
                problem = MarkMismatch(mark, declared is null ? null : declaredName);
                return false;
            }

            body = body[mark.Bytes.Length..];
        }
        else if (!IsWideUnicode(declaredCodePage) && body.Span.IndexOf((byte)0) is var zero and >= 0)
        {
            problem = ZeroBytes(body.Span, zero, declared is null ? null : declaredName);
            return false;
        }

        string text;
        try
        {
            text = declared is null ? StrictUtf8.GetString(body.Span) : declared.GetString(body.Span);
        }
        catch (DecoderFallbackException)
        {
            problem = declared is null
                ? "The request body is not valid UTF-8 text; send UTF-8, or name the charset in Content-Type."
                : $"The request body is not valid {declaredName} text, the charset its Content-Type declares.";
            return false;
        }

        // The queue carries UTF-8: a body in another charset is re-encoded, a UTF-8 one is kept byte for byte.
        decoded = new DecodedBody(text, declared is null ? body : Encoding.UTF8.GetBytes(text));
        return true;
    }

    private static ByteOrderMark? FindMark(ReadOnlySpan<byte> body)
    {
        foreach (var mark in Marks)
        {
            if (body.StartsWith(mark.Bytes))
            {
                return mark;
            }
        }

        return null;
    }

    private static bool IsWideUnicode(int codePage) => codePage is 1200 or 1201 or 12000 or 12001;

    private static string MarkMismatch(ByteOrderMark mark, string? declaredCharset)
    {
        var found = $"The request body starts with a {mark.Name} byte order mark ({Hex(mark.Bytes)})";
        var fix = mark.Charset is null
            ? $"the relay cannot read {mark.Name}; send UTF-8, as Braze does."
            : $"send UTF-8, as Braze does, or declare charset={mark.Charset} in Content-Type.";
        return declaredCharset is null
            ? $"{found}, but the relay reads a body as UTF-8 unless Content-Type names another charset; {fix}"
            : $"{found}, but Content-Type declares charset {declaredCharset}; {fix}";
    }

    // A JSON text in UTF-8 never holds a zero byte (U+0000 must be escaped), so zeros mean a wider encoding; where they sit
    // tells which one.
    private static string ZeroBytes(ReadOnlySpan<byte> body, int offset, string? declaredCharset)
    {
        var guess = body.Length >= 4 && body[0] != 0 && body[1] == 0 && body[2] == 0 && body[3] == 0 ? ("UTF-32 (little-endian)", "utf-32")
            : body.Length >= 4 && body[0] == 0 && body[1] == 0 && body[2] == 0 && body[3] != 0 ? ("UTF-32 (big-endian)", "utf-32be")
            : body.Length >= 2 && body[0] != 0 && body[1] == 0 ? ("UTF-16 (little-endian)", "utf-16")
            : body.Length >= 2 && body[0] == 0 && body[1] != 0 ? ("UTF-16 (big-endian)", "utf-16be")
            : default((string Name, string Charset)?);
        var readAs = declaredCharset ?? "UTF-8";
        return guess is { } wide
            ? $"The request body looks like {wide.Name} text without a byte order mark (it has zero bytes between its characters), but it is read as {readAs}; send UTF-8, as Braze does, or declare charset={wide.Charset} in Content-Type."
            : $"The request body has a zero byte at offset {offset.ToString(CultureInfo.InvariantCulture)}, which JSON text read as {readAs} never has; send the payload as UTF-8 JSON.";
    }

    private static string Hex(byte[] bytes) => string.Join(' ', bytes.Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));

    private sealed record ByteOrderMark(string Name, byte[] Bytes, int? CodePage, string? Charset);
}
