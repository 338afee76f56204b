using System.Text;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Ingress;

namespace BrazeFunctions.Tests.Dispatch;

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
}
