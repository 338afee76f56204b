using System.Buffers;
using System.Text;
using System.Text.Json;

namespace BrazeFunctions.Core.Ingress;

/// <summary>
/// Writes and reads the queue message form of <see cref="WebhookEnvelope"/>. The payload is embedded as raw JSON, not
/// as an escaped string, so the bytes Braze posted are the bytes on the queue and the message stays as small as possible.
/// </summary>
public static class EnvelopeCodec
{
    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = 128 };

    public static byte[] Serialize(WebhookEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var buffer = new ArrayBufferWriter<byte>(envelope.PayloadJson.Length + 512);
        // The relaxed encoder leaves <>&'+ as they are: the default one writes each as a six-byte \u003C sequence, which only
        // matters inside HTML and made a 200-character Idempotency-Key of '<' push a 48,000-byte body past the queue limit.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", envelope.Version);
            writer.WriteString("id", envelope.Id);
            writer.WriteString("route", envelope.Route);
            writer.WriteString("receivedAt", envelope.ReceivedAt);
            writer.WriteNumber("attempt", envelope.Attempt);
            WriteOptional(writer, "correlationId", envelope.CorrelationId);
            WriteOptional(writer, "idempotencyKey", envelope.IdempotencyKey);
            if (envelope.ReplayedAt is { } replayedAt)
            {
                writer.WriteString("replayedAt", replayedAt);
            }

            if (envelope.OverrideClaim)
            {
                writer.WriteBoolean("overrideClaim", true);
            }

            if (envelope.SendAlone)
            {
                writer.WriteBoolean("sendAlone", true);
            }

            writer.WritePropertyName("payload");
            writer.WriteRawValue(envelope.PayloadJson, skipInputValidation: false);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static WebhookEnvelope Deserialize(BinaryData message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Deserialize(message.ToMemory());
    }

    public static WebhookEnvelope Deserialize(string message) => Deserialize(Encoding.UTF8.GetBytes(message));

    /// <exception cref="EnvelopeFormatException">The message is not an envelope this version can read.</exception>
    public static WebhookEnvelope Deserialize(ReadOnlyMemory<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, ReadOptions);
        }
        catch (JsonException ex)
        {
            throw new EnvelopeFormatException($"The queue message is not JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new EnvelopeFormatException("The queue message is not a JSON object.");
            }

            var version = root.TryGetProperty("v", out var v) && v.TryGetInt32(out var parsed) ? parsed : 0;
            if (version != WebhookEnvelope.CurrentVersion)
            {
                throw new EnvelopeFormatException($"Envelope version {version} is not supported; expected {WebhookEnvelope.CurrentVersion}.");
            }

            if (!root.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object)
            {
                throw new EnvelopeFormatException("The envelope has no 'payload' object.");
            }

            return new WebhookEnvelope(
                version,
                RequiredString(root, "id"),
                RequiredString(root, "route"),
                root.TryGetProperty("receivedAt", out var at) && at.TryGetDateTimeOffset(out var receivedAt)
                    ? receivedAt
                    : throw new EnvelopeFormatException("The envelope has no valid 'receivedAt'."),
                payload.GetRawText(),
                OptionalString(root, "correlationId"),
                OptionalString(root, "idempotencyKey"),
                root.TryGetProperty("attempt", out var attempt) && attempt.TryGetInt32(out var count) ? count : 0)
            {
                ReplayedAt = root.TryGetProperty("replayedAt", out var replayed) && replayed.ValueKind == JsonValueKind.String && replayed.TryGetDateTimeOffset(out var replayedAt)
                    ? replayedAt
                    : null,
                OverrideClaim = root.TryGetProperty("overrideClaim", out var overrideClaim) && overrideClaim.ValueKind == JsonValueKind.True,
                SendAlone = root.TryGetProperty("sendAlone", out var alone) && alone.ValueKind == JsonValueKind.True,
            };
        }
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static string RequiredString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new EnvelopeFormatException($"The envelope has no '{name}'.");

    private static string? OptionalString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>A queue message that is not a readable envelope.</summary>
public sealed class EnvelopeFormatException : Exception
{
    public EnvelopeFormatException()
    {
    }

    public EnvelopeFormatException(string message)
        : base(message)
    {
    }

    public EnvelopeFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
