using System.Text;
using BrazeFunctions.Core.Messages;

namespace BrazeFunctions.Tests.Messages;

public sealed class DeadLetterCodecTests
{
    private static readonly WebhookEnvelope Envelope = new(1, "m-1", "trigger-canvas", new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero),
        "{\"user_id\":\"u-1\"}", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "k-1", 2);

    private static readonly DeadLetterReason Reason = new("http_400", 400, "Invalid 'canvas_id'", null, "/canvas/trigger/send", "trigger-canvas", "m-1", 2,
        Envelope.ReceivedAt, Envelope.ReceivedAt.AddMinutes(5), Envelope.CorrelationId);

    [Fact]
    public void SerializeThenParse_DeadLetter_RoundTripsEnvelopeAndReason()
    {
        var entry = DeadLetterCodec.Parse(DeadLetterCodec.Serialize(Reason, Envelope, null));

        Assert.Equal(PoisonKind.DeadLetter, entry.Kind);
        Assert.Equal(Envelope, entry.Envelope);
        Assert.Equal(Reason, entry.Reason);
    }

    [Fact]
    public void Parse_BareEnvelope_IsHostPoison()
    {
        var entry = DeadLetterCodec.Parse(EnvelopeCodec.Serialize(Envelope));

        Assert.Equal(PoisonKind.HostPoison, entry.Kind);
        Assert.Equal(Envelope, entry.Envelope);
        Assert.Null(entry.Reason);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"v\":1}")]
    [InlineData("[1,2]")]
    public void Parse_AnythingElse_IsUnreadableWithAProblem(string text)
    {
        var entry = DeadLetterCodec.Parse(Encoding.UTF8.GetBytes(text));

        Assert.Equal(PoisonKind.Unreadable, entry.Kind);
        Assert.False(string.IsNullOrWhiteSpace(entry.Problem));
    }

    [Fact]
    public void Serialize_UnreadableOriginal_KeepsTheRawText()
    {
        var entry = DeadLetterCodec.Parse(DeadLetterCodec.Serialize(Reason with { Code = "invalid_envelope" }, null, "{\"hello\":1}"));

        Assert.Equal(PoisonKind.DeadLetter, entry.Kind);
        Assert.Null(entry.Envelope);
        Assert.Equal("invalid_envelope", entry.Reason!.Code);
    }

    [Fact]
    public void Parse_ReasonFieldOfTheWrongKind_KeepsTheEnvelopeAndNamesTheField()
    {
        var text = Encoding.UTF8.GetString(DeadLetterCodec.Serialize(Reason, Envelope, null)).Replace("\"status\":400", "\"status\":\"four hundred\"", StringComparison.Ordinal);

        var entry = DeadLetterCodec.Parse(Encoding.UTF8.GetBytes(text));

        Assert.Equal(PoisonKind.DeadLetter, entry.Kind);
        Assert.Null(entry.Reason);
        Assert.Equal(Envelope, entry.Envelope);
        Assert.Contains("$.status", entry.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ReasonWithoutItsCode_IsAnUnreadableReasonNotANullCode()
    {
        var text = Encoding.UTF8.GetString(DeadLetterCodec.Serialize(Reason, Envelope, null)).Replace("\"code\":\"http_400\",", string.Empty, StringComparison.Ordinal);

        var entry = DeadLetterCodec.Parse(Encoding.UTF8.GetBytes(text));

        Assert.Null(entry.Reason);
        Assert.Contains("reason cannot be read", entry.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DeadLetterWithAWrongKindEnvelope_KeepsTheReasonAndNamesTheEnvelopeField()
    {
        var text = Encoding.UTF8.GetString(DeadLetterCodec.Serialize(Reason, Envelope, null)).Replace("\"attempt\":2,\"correlationId\"", "\"attempt\":\"two\",\"correlationId\"", StringComparison.Ordinal);

        var entry = DeadLetterCodec.Parse(Encoding.UTF8.GetBytes(text));

        Assert.Equal(PoisonKind.DeadLetter, entry.Kind);
        Assert.Equal(Reason, entry.Reason);
        Assert.Null(entry.Envelope);
        Assert.Contains("'attempt'", entry.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(40)]
    [InlineData(200)]
    public void Parse_TruncatedDeadLetter_IsUnreadableWithThePosition(int keep)
    {
        var bytes = DeadLetterCodec.Serialize(Reason, Envelope, null);

        var entry = DeadLetterCodec.Parse(bytes.AsMemory(0, Math.Min(keep, bytes.Length - 1)));

        Assert.Equal(PoisonKind.Unreadable, entry.Kind);
        Assert.Contains("not JSON", entry.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HugeGarbage_IsUnreadable()
    {
        var entry = DeadLetterCodec.Parse(Encoding.UTF8.GetBytes(new string('{', 48_000)));

        Assert.Equal(PoisonKind.Unreadable, entry.Kind);
        Assert.False(string.IsNullOrWhiteSpace(entry.Problem));
    }

    [Fact]
    public void Parse_BareEnvelopeWithAWrongKindField_IsUnreadableNamingTheField()
    {
        var text = Encoding.UTF8.GetString(EnvelopeCodec.Serialize(Envelope)).Replace("\"route\":\"trigger-canvas\"", "\"route\":false", StringComparison.Ordinal);

        var entry = DeadLetterCodec.Parse(Encoding.UTF8.GetBytes(text));

        Assert.Equal(PoisonKind.Unreadable, entry.Kind);
        Assert.Contains("'route' must be a string", entry.Problem, StringComparison.Ordinal);
    }
}
