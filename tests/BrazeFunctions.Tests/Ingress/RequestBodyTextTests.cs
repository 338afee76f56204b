using System.Text;
using BrazeFunctions.Core.Ingress;

namespace BrazeFunctions.Tests.Ingress;

public sealed class RequestBodyTextTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/vnd.braze+json")]
    [InlineData("text/plain; charset=\"UTF8\"")]
    [InlineData("text/json; charset=us-ascii")]
    public void TryGetBodyEncoding_JsonOrTextInUtf8_ReadsWithoutTranscoding(string? contentType)
    {
        Assert.True(RequestBodyText.TryGetBodyEncoding(contentType, out var encoding, out _));
        Assert.Null(encoding);
    }

    [Theory]
    [InlineData("application/json; charset=iso-8859-1", 28591)]
    [InlineData("application/json; charset=utf-16", 1200)]
    public void TryGetBodyEncoding_AnotherCharsetDotNetReads_IsUsed(string contentType, int codePage)
    {
        Assert.True(RequestBodyText.TryGetBodyEncoding(contentType, out var encoding, out _));
        Assert.Equal(codePage, encoding!.CodePage);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", "is not accepted")]
    [InlineData("multipart/form-data; boundary=x", "is not accepted")]
    [InlineData("application/json; charset=utf-7", "utf-7")]
    [InlineData("not a media type", "cannot be parsed")]
    public void TryGetBodyEncoding_FormsUnknownCharsetsAndGarbage_AreRefusedByName(string contentType, string expected)
    {
        Assert.False(RequestBodyText.TryGetBodyEncoding(contentType, out _, out var problem));
        Assert.Contains(expected, problem, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TryDecode_Utf8_KeepsTheBytesAsTheyCame()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"name\":\"Zoë\"}");

        Assert.True(RequestBodyText.TryDecode(bytes, null, out var decoded, out _));
        Assert.Equal("{\"name\":\"Zoë\"}", decoded.Text);
        Assert.Equal(bytes, decoded.Utf8.ToArray());
    }

    [Fact]
    public void TryDecode_Utf8ByteOrderMark_IsDropped()
    {
        Assert.True(RequestBodyText.TryDecode(new byte[] { 0xEF, 0xBB, 0xBF, (byte)'{', (byte)'}' }, null, out var decoded, out _));
        Assert.Equal("{}", decoded.Text);
        Assert.Equal("{}"u8.ToArray(), decoded.Utf8.ToArray());
    }

    [Fact]
    public void TryDecode_DeclaredLatin1_IsReencodedAsUtf8ForTheQueue()
    {
        var latin1 = Encoding.Latin1.GetBytes("{\"city\":\"Zürich\"}");

        Assert.True(RequestBodyText.TryDecode(latin1, Encoding.Latin1, out var decoded, out _));
        Assert.Equal(Encoding.UTF8.GetBytes("{\"city\":\"Zürich\"}"), decoded.Utf8.ToArray());
    }

    [Fact]
    public void TryDecode_Utf16WithoutDeclaringIt_NamesTheEncodingAndTheCharsetToDeclare()
    {
        var body = new byte[] { 0xFF, 0xFE }.Concat(Encoding.Unicode.GetBytes("{}")).ToArray();

        Assert.False(RequestBodyText.TryDecode(body, null, out _, out var problem));
        Assert.Contains("UTF-16 (little-endian) byte order mark", problem, StringComparison.Ordinal);
        Assert.Contains("charset=utf-16", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_Utf16WithoutAMark_IsRecognisedFromItsZeroBytes()
    {
        Assert.False(RequestBodyText.TryDecode(Encoding.BigEndianUnicode.GetBytes("{}"), null, out _, out var problem));
        Assert.Contains("UTF-16 (big-endian)", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_AMarkTheRelayCannotRead_SaysSo()
    {
        Assert.False(RequestBodyText.TryDecode(new byte[] { 0x2B, 0x2F, 0x76, 0x38, (byte)'{', (byte)'}' }, null, out _, out var problem));
        Assert.Contains("cannot read UTF-7", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_InvalidUtf8_IsRefused()
    {
        Assert.False(RequestBodyText.TryDecode(new byte[] { (byte)'{', 0xC3, 0x28, (byte)'}' }, null, out _, out var problem));
        Assert.Contains("not valid UTF-8", problem, StringComparison.Ordinal);
    }
}
