using System.Text;
using Microsoft.AspNetCore.Http;
using static BrazeFunctions.Tests.Ingress.WebhookRequestValidatorKit;

namespace BrazeFunctions.Tests.Ingress;

/// <summary>Content types, charsets and byte order marks: what is accepted, transcoded to UTF-8 or refused with a 400 or 415.</summary>
public sealed class WebhookRequestValidatorEncodingTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; charset=\"UTF-8\"")]
    [InlineData("application/vnd.braze.webhook+json")]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=us-ascii")]
    public async Task ValidateAsync_AcceptedContentTypes_PassWhenTheBodyParses(string? contentType)
    {
        var (webhook, rejection) = await ValidateAsync(Request("{\"user_id\":\"u1\"}", contentType));

        Assert.Null(rejection);
        Assert.NotNull(webhook);
        Assert.Equal("{\"user_id\":\"u1\"}", webhook.PayloadJson);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=abc")]
    [InlineData("application/xml")]
    [InlineData("not a media type")]
    [InlineData("application/json; charset=klingon")]
    public async Task ValidateAsync_OtherContentTypes_Are415(string contentType)
    {
        var (_, rejection) = await ValidateAsync(Request("{}", contentType));

        Assert.Equal(StatusCodes.Status415UnsupportedMediaType, rejection?.StatusCode);
        Assert.Equal("unsupported_media_type", rejection?.Error);
        Assert.Contains("application/json", Message(rejection), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_Latin1Charset_IsTranscodedToUtf8()
    {
        var body = Encoding.Latin1.GetBytes("{\"name\":\"Zoë\"}");

        var (webhook, rejection) = await ValidateAsync(Request(body, "application/json; charset=iso-8859-1"));

        Assert.Null(rejection);
        Assert.Equal("{\"name\":\"Zoë\"}", webhook?.PayloadJson);
    }

    [Fact]
    public async Task ValidateAsync_InvalidUtf8_Is400()
    {
        var (_, rejection) = await ValidateAsync(Request([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}']));

        Assert.Equal(StatusCodes.Status400BadRequest, rejection?.StatusCode);
        Assert.Equal("invalid_encoding", rejection?.Error);
    }

    [Fact]
    public async Task ValidateAsync_Utf8Bom_IsIgnored()
    {
        var body = Encoding.UTF8.Preamble.ToArray().Concat(Encoding.UTF8.GetBytes("{\"a\":1}")).ToArray();

        var (webhook, rejection) = await ValidateAsync(Request(body));

        Assert.Null(rejection);
        Assert.Equal("{\"a\":1}", webhook?.PayloadJson);
    }

    [Theory]
    [InlineData("application/json; charset=utf-7", "utf-7")]
    [InlineData("application/json; charset=UNICODE-1-1-UTF-7", "UNICODE-1-1-UTF-7")]
    [InlineData("application/json; charset=windows-1252", "windows-1252")]
    [InlineData("text/plain; charset=\"ebcdic-cp-us\"", "ebcdic-cp-us")]
    public async Task ValidateAsync_UnsupportedCharset_Is415NamingTheCharset(string contentType, string charset)
    {
        var (_, rejection) = await ValidateAsync(Request("{}", contentType));

        Assert.Equal(StatusCodes.Status415UnsupportedMediaType, rejection?.StatusCode);
        Assert.Equal("unsupported_media_type", rejection?.Error);
        Assert.Contains($"Charset '{charset}' is not supported", Message(rejection), StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], string> WideOrMarkedBodies => new()
    {
        { "UTF-16 LE with BOM", [.. Encoding.Unicode.Preamble, .. Encoding.Unicode.GetBytes("{\"a\":1}")], "UTF-16 (little-endian) byte order mark (FF FE)" },
        { "UTF-16 BE with BOM", [.. Encoding.BigEndianUnicode.Preamble, .. Encoding.BigEndianUnicode.GetBytes("{\"a\":1}")], "UTF-16 (big-endian) byte order mark (FE FF)" },
        { "UTF-16 LE without BOM", Encoding.Unicode.GetBytes("{\"a\":1}"), "looks like UTF-16 (little-endian)" },
        { "UTF-16 BE without BOM", Encoding.BigEndianUnicode.GetBytes(" {\"a\":1}"), "looks like UTF-16 (big-endian)" },
        { "UTF-32 LE with BOM", [.. Encoding.UTF32.Preamble, .. Encoding.UTF32.GetBytes("{\"a\":1}")], "UTF-32 (little-endian) byte order mark" },
        { "UTF-32 LE without BOM", Encoding.UTF32.GetBytes("{\"a\":1}"), "looks like UTF-32 (little-endian)" },
        { "GB 18030 BOM", [0x84, 0x31, 0x95, 0x33, .. "{}"u8], "GB 18030 byte order mark" },
        { "UTF-7 BOM", [.. "+/v8{}"u8], "UTF-7 byte order mark" },
    };

    [Theory]
    [MemberData(nameof(WideOrMarkedBodies))]
    public async Task ValidateAsync_Utf16Utf32OrForeignBomWithoutMatchingCharset_Is400NamingTheEncoding(string name, byte[] body, string expected)
    {
        var (_, rejection) = await ValidateAsync(Request(body));

        Assert.True(rejection is not null, name);
        Assert.Equal(StatusCodes.Status400BadRequest, rejection.StatusCode);
        Assert.Equal("invalid_encoding", rejection.Error);
        Assert.Contains(expected, Message(rejection), StringComparison.Ordinal);
        Assert.DoesNotContain("invalid start", Message(rejection), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_Utf16BomWithDeclaredUtf8_Is400SayingWhatToDeclare()
    {
        var body = (byte[])[.. Encoding.Unicode.Preamble, .. Encoding.Unicode.GetBytes("{}")];

        var (_, rejection) = await ValidateAsync(Request(body, "application/json; charset=utf-8"));

        Assert.Equal("invalid_encoding", rejection?.Error);
        Assert.Contains("charset=utf-16", Message(rejection), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateAsync_Utf8BomWithDeclaredUtf16_Is400NamingBoth()
    {
        var body = (byte[])[.. Encoding.UTF8.Preamble, .. "{}"u8];

        var (_, rejection) = await ValidateAsync(Request(body, "application/json; charset=utf-16"));

        Assert.Equal("invalid_encoding", rejection?.Error);
        Assert.Contains("UTF-8 byte order mark", Message(rejection), StringComparison.Ordinal);
        Assert.Contains("declares charset utf-16", Message(rejection), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("utf-16", true)]
    [InlineData("utf-16", false)]
    [InlineData("utf-16be", true)]
    [InlineData("utf-32", true)]
    public async Task ValidateAsync_DeclaredUtf16Or32_IsTranscodedWithItsBomDropped(string charset, bool withBom)
    {
        var encoding = Encoding.GetEncoding(charset);
        var body = (byte[])[.. withBom ? encoding.Preamble : [], .. encoding.GetBytes("{\"name\":\"Zoë ✓\"}")];

        var (webhook, rejection) = await ValidateAsync(Request(body, "application/json; charset=" + charset));

        Assert.Null(rejection);
        Assert.Equal("{\"name\":\"Zoë ✓\"}", webhook?.PayloadJson);
        Assert.Equal(Encoding.UTF8.GetByteCount(webhook!.PayloadJson), webhook.PayloadBytes);
    }

    [Fact]
    public async Task ValidateAsync_ZeroByteInUtf8Body_Is400NamingTheOffset()
    {
        var (_, rejection) = await ValidateAsync(Request([.. "{\"a\":\""u8, 0x00, .. "\"}"u8]));

        Assert.Equal("invalid_encoding", rejection?.Error);
        Assert.Contains("zero byte at offset 6", Message(rejection), StringComparison.Ordinal);
    }
}
