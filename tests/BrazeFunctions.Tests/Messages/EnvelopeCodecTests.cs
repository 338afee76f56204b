using System.Text;
using BrazeFunctions.Core.Ingress;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;

namespace BrazeFunctions.Tests.Messages;

public sealed class EnvelopeCodecTests
{
    private static readonly WebhookEnvelope Sample = new(
        WebhookEnvelope.CurrentVersion,
        "0192f3c4a1b27c3d8e9f0a1b2c3d4e5f",
        "trigger-canvas",
        new DateTimeOffset(2026, 11, 29, 9, 30, 0, TimeSpan.Zero),
        "{ \"user_id\":\"u\\\"1\" , \"n\" : [1, 2.50, true] }",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "key-1",
        Attempt: 3);

    [Fact]
    public void SerializeThenDeserialize_RoundTripsEveryField()
    {
        var copy = EnvelopeCodec.Deserialize(new BinaryData(EnvelopeCodec.Serialize(Sample)));

        Assert.Equal(Sample, copy);
    }

    [Fact]
    public void Serialize_EmbedsThePayloadBytesVerbatim()
    {
        var text = Encoding.UTF8.GetString(EnvelopeCodec.Serialize(Sample));

        Assert.Contains("\"payload\":" + Sample.PayloadJson, text, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_OmitsAbsentOptionalFields()
    {
        var text = Encoding.UTF8.GetString(EnvelopeCodec.Serialize(Sample with { IdempotencyKey = null, CorrelationId = null }));

        Assert.DoesNotContain("idempotencyKey", text, StringComparison.Ordinal);
        Assert.DoesNotContain("correlationId", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_HtmlSensitiveCharacters_AreWrittenAsIsAndRoundTrip()
    {
        var envelope = Sample with { IdempotencyKey = new string('<', 200) + ">&'+\"" };

        var bytes = EnvelopeCodec.Serialize(envelope);
        var text = Encoding.UTF8.GetString(bytes);

        Assert.DoesNotContain("\\u003C", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"idempotencyKey\":\"" + new string('<', 200) + ">&'+\\\"\"", text, StringComparison.Ordinal);
        Assert.Equal(envelope, EnvelopeCodec.Deserialize(new BinaryData(bytes)));
    }

    [Fact]
    public void Serialize_EnvelopeAtTheInlineLimitWithEveryLaterField_StillFitsAQueueMessageAsADeadLetter()
    {
        // The longest body the ingress keeps inline behind a 200-character key of characters JSON escapes at length.
        var envelope = Sample with { IdempotencyKey = new string('\u0001', WebhookRequestValidator.MaxIdempotencyKeyLength), Attempt = 0 };
        var padding = QueueMessageLimits.MaxBytesBeforeBase64 - EnvelopeHeadroom.Bytes - EnvelopeCodec.Serialize(envelope with { PayloadJson = "{\"a\":\"\"}" }).Length;
        var atLimit = envelope with { PayloadJson = "{\"a\":\"" + new string('x', padding) + "\"}" };
        Assert.True(WebhookIngress.FitsInline(EnvelopeCodec.Serialize(atLimit).Length));
        Assert.False(WebhookIngress.FitsInline(EnvelopeCodec.Serialize(atLimit with { PayloadJson = "{\"a\":\"x" + new string('x', padding) + "\"}" }).Length));

        // Every field a later copy may carry, at its longest, and the dead-letter wrapper with a shortened reason.
        var grown = atLimit with
        {
            Attempt = int.MaxValue, ReplayedAt = DateTimeOffset.MaxValue, PriorRecordsAt = DateTimeOffset.MaxValue, OverrideClaim = true, SendAlone = true,
            ClaimToken = Guid.NewGuid().ToString("N"),
        };
        var reason = new DeadLetterReason(DeadLetterCodes.AmbiguousOutcome, 504, null, new string('<', 200) + "...", "/campaigns/trigger/send", new string('r', 64),
            Sample.Id, int.MaxValue, DateTimeOffset.MaxValue, DateTimeOffset.MaxValue, Sample.CorrelationId) { Workspace = new string('w', 24) };

        Assert.True(EnvelopeCodec.Serialize(grown).Length <= QueueMessageLimits.MaxBytesBeforeBase64);
        Assert.True(DeadLetterCodec.Serialize(reason, grown, null).Length <= QueueMessageLimits.MaxBytesBeforeBase64);
    }

    [Fact]
    public void Serialize_PayloadKeptInABlob_WritesTheBlobNameInsteadOfThePayload()
    {
        var kept = Sample with { PayloadBlob = Sample.Id };

        var text = Encoding.UTF8.GetString(EnvelopeCodec.Serialize(kept));
        var copy = EnvelopeCodec.Deserialize(text);

        Assert.DoesNotContain("\"payload\"", text, StringComparison.Ordinal);
        Assert.Contains("\"payloadBlob\":\"" + Sample.Id + "\"", text, StringComparison.Ordinal);
        Assert.Equal(Sample.Id, copy.PayloadBlob);
        Assert.Equal(string.Empty, copy.PayloadJson);
    }

    [Fact]
    public void Deserialize_EmptyPayloadBlob_ThrowsNamingIt()
    {
        var ex = Assert.Throws<EnvelopeFormatException>(() => EnvelopeCodec.Deserialize("{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"payloadBlob\":\"\"}"));

        Assert.Contains("'payloadBlob'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SerializeThenDeserialize_ClaimTokenAndPriorRecords_RoundTrip()
    {
        var copy = Sample with { ClaimToken = "0192f3c4a1b27c3d8e9f0a1b2c3d4e5f", PriorRecordsAt = Sample.ReceivedAt.AddDays(-2) };

        Assert.Equal(copy, EnvelopeCodec.Deserialize(new BinaryData(EnvelopeCodec.Serialize(copy))));
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[]", "a JSON array, not an object")]
    [InlineData("{\"v\":2,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"payload\":{}}", "version 2")]
    [InlineData("{\"v\":1,\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"payload\":{}}", "'id'")]
    [InlineData("{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\"}", "'payload'")]
    [InlineData("{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"payload\":{}}", "'receivedAt'")]
    public void Deserialize_UnreadableMessage_ThrowsNamingTheProblem(string message, string expected)
    {
        var ex = Assert.Throws<EnvelopeFormatException>(() => EnvelopeCodec.Deserialize(message));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"v\":\"1\",\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"payload\":{}}", "'v' must be a number, not a JSON string")]
    [InlineData("{\"v\":1,\"id\":7,\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"payload\":{}}", "'id' must be a string, not a JSON number")]
    [InlineData("{\"v\":1,\"id\":\"a\",\"route\":[],\"receivedAt\":\"2026-11-29T09:30:00Z\",\"payload\":{}}", "'route' must be a string, not a JSON array")]
    [InlineData("{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":1764408600,\"payload\":{}}", "'receivedAt' must be a string, not a JSON number")]
    [InlineData("{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"yesterday\",\"payload\":{}}", "'receivedAt' is not an ISO 8601 date")]
    [InlineData("{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"attempt\":\"2\",\"payload\":{}}", "'attempt' must be a number, not a JSON string")]
    [InlineData("{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"attempt\":1.5,\"payload\":{}}", "'attempt' is not a whole number")]
    [InlineData("{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"attempt\":-1,\"payload\":{}}", "cannot be negative")]
    [InlineData("{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"correlationId\":{},\"payload\":{}}", "'correlationId' must be a string, not a JSON object")]
    [InlineData("{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"replayedAt\":true,\"payload\":{}}", "'replayedAt' must be a string, not a JSON boolean")]
    [InlineData("{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"overrideClaim\":\"yes\",\"payload\":{}}", "'overrideClaim' must be true or false, not a JSON string")]
    [InlineData("{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"payload\":[1]}", "'payload' is a JSON array, not an object")]
    [InlineData("{\"v\":1,\"id\":\"\\ud800\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"payload\":{}}", "'id' is not valid text")]
    [InlineData("{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:3", "not JSON")]
    public void Deserialize_FieldOfTheWrongKind_ThrowsEnvelopeFormatExceptionNamingTheField(string message, string expected)
    {
        var ex = Assert.Throws<EnvelopeFormatException>(() => EnvelopeCodec.Deserialize(message));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_NestedDeeperThanTheLimit_ThrowsEnvelopeFormatException()
    {
        var deep = "{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"payload\":{\"x\":" + new string('[', 300) + new string(']', 300) + "}}";

        var ex = Assert.Throws<EnvelopeFormatException>(() => EnvelopeCodec.Deserialize(deep));

        Assert.Contains("deeper than 128", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_OptionalFieldsNullOrAbsent_ReadAsDefaults()
    {
        var envelope = EnvelopeCodec.Deserialize(
            "{\"v\":1,\"id\":\"a\",\"route\":\"r\",\"receivedAt\":\"2026-11-29T09:30:00Z\",\"correlationId\":null,\"replayedAt\":null,\"overrideClaim\":false,\"payload\":{}}");

        Assert.Null(envelope.CorrelationId);
        Assert.Null(envelope.ReplayedAt);
        Assert.False(envelope.OverrideClaim);
        Assert.Equal(0, envelope.Attempt);
    }

    [Fact]
    public void SerializeThenDeserialize_ReplayFields_RoundTripAndMoveTheAgeClock()
    {
        var replayed = Sample with { ReplayedAt = Sample.ReceivedAt.AddDays(3), OverrideClaim = true };

        var copy = EnvelopeCodec.Deserialize(new BinaryData(EnvelopeCodec.Serialize(replayed)));

        Assert.Equal(replayed, copy);
        Assert.Equal(Sample.ReceivedAt, copy.ReceivedAt);
        Assert.Equal(replayed.ReplayedAt, copy.AgeClockStart);
    }
}
