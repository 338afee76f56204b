using System.Buffers;
using System.Text;
using System.Text.Json;

namespace BrazeFunctions.Core.Messages;

/// <summary>
/// Writes and reads the queue message form of <see cref="WebhookEnvelope"/>. The payload is embedded as raw JSON, not
/// as an escaped string, so the bytes Braze posted are the bytes on the queue and the message stays as small as possible.
/// </summary>
internal static class EnvelopeCodec
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

            if (envelope.PriorRecordsAt is { } priorRecordsAt)
            {
                writer.WriteString("priorRecordsAt", priorRecordsAt);
            }

            if (envelope.OverrideClaim)
            {
                writer.WriteBoolean("overrideClaim", true);
            }

            if (envelope.SendAlone)
            {
                writer.WriteBoolean("sendAlone", true);
            }

            WriteOptional(writer, "claimToken", envelope.ClaimToken);
            if (envelope.PayloadBlob is { } blob)
            {
                // The claim-check: the payload stays in its blob, whatever this copy holds in memory.
                writer.WriteString("payloadBlob", blob);
            }
            else
            {
                writer.WritePropertyName("payload");
                writer.WriteRawValue(envelope.PayloadJson, skipInputValidation: false);
            }

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

    /// <summary>
    /// Reads an envelope. Anything that is not one (not JSON, a field missing or of the wrong JSON kind, a string that is
    /// not valid UTF-16) is an <see cref="EnvelopeFormatException"/> naming the field, never another exception, so the
    /// dispatcher can dead-letter it as <c>invalid_envelope</c> with what was wrong.
    /// </summary>
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
            throw new EnvelopeFormatException($"The queue message is not JSON, or nests deeper than {ReadOptions.MaxDepth} levels (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new EnvelopeFormatException($"The queue message is a JSON {Describe(root.ValueKind)}, not an object.");
            }

            var version = OptionalInt(root, "v") ?? 0;
            if (version != WebhookEnvelope.CurrentVersion)
            {
                throw new EnvelopeFormatException($"Envelope version {version} is not supported; expected {WebhookEnvelope.CurrentVersion}.");
            }

            var (payloadJson, payloadBlob) = ReadPayload(root);
            var attempt = OptionalInt(root, "attempt") ?? 0;
            if (attempt < 0)
            {
                throw new EnvelopeFormatException($"The envelope's 'attempt' is {attempt}; it cannot be negative.");
            }

            return new WebhookEnvelope(
                version,
                RequiredString(root, "id"),
                RequiredString(root, "route"),
                OptionalDate(root, "receivedAt") ?? throw new EnvelopeFormatException("The envelope has no 'receivedAt'."),
                payloadJson,
                OptionalString(root, "correlationId"),
                OptionalString(root, "idempotencyKey"),
                attempt)
            {
                ReplayedAt = OptionalDate(root, "replayedAt"),
                PriorRecordsAt = OptionalDate(root, "priorRecordsAt"),
                OverrideClaim = OptionalBool(root, "overrideClaim"),
                SendAlone = OptionalBool(root, "sendAlone"),
                ClaimToken = OptionalString(root, "claimToken"),
                PayloadBlob = payloadBlob,
            };
        }
    }

    /// <summary>The payload object, or (claim-check) the name of the blob that holds it and an empty payload.</summary>
    private static (string Json, string? Blob) ReadPayload(JsonElement root)
    {
        if (OptionalString(root, "payloadBlob") is { } blob)
        {
            return blob.Length > 0 ? (string.Empty, blob) : throw new EnvelopeFormatException("The envelope's 'payloadBlob' is empty.");
        }

        if (!root.TryGetProperty("payload", out var payload))
        {
            throw new EnvelopeFormatException("The envelope has no 'payload' object.");
        }

        return payload.ValueKind == JsonValueKind.Object
            ? (payload.GetRawText(), null)
            : throw new EnvelopeFormatException($"The envelope's 'payload' is a JSON {Describe(payload.ValueKind)}, not an object.");
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static string RequiredString(JsonElement root, string name) =>
        OptionalString(root, name) is { Length: > 0 } text ? text : throw new EnvelopeFormatException($"The envelope has no '{name}'.");

    /// <summary>A string field; absent or null is null, any other kind is a format error.</summary>
    private static string? OptionalString(JsonElement root, string name)
    {
        if (!Present(root, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw WrongKind(name, "a string", value.ValueKind);
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate ("\ud800") is valid JSON but not a .NET string.
            throw new EnvelopeFormatException($"The envelope's '{name}' is not valid text (an unpaired surrogate escape).");
        }
    }

    private static int? OptionalInt(JsonElement root, string name)
    {
        if (!Present(root, name, out var value))
        {
            return null;
        }

        return value.ValueKind != JsonValueKind.Number
            ? throw WrongKind(name, "a number", value.ValueKind)
            : value.TryGetInt32(out var number) ? number : throw new EnvelopeFormatException($"The envelope's '{name}' is not a whole number in range.");
    }

    private static DateTimeOffset? OptionalDate(JsonElement root, string name)
    {
        if (OptionalString(root, name) is not { } text)
        {
            return null;
        }

        return root.GetProperty(name).TryGetDateTimeOffset(out var date)
            ? date
            : throw new EnvelopeFormatException($"The envelope's '{name}' is not an ISO 8601 date ({text.Length} characters).");
    }

    private static bool OptionalBool(JsonElement root, string name) =>
        Present(root, name, out var value) && value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongKind(name, "true or false", value.ValueKind),
        };

    private static bool Present(JsonElement root, string name, out JsonElement value) =>
        root.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    private static EnvelopeFormatException WrongKind(string name, string expected, JsonValueKind found) =>
        new($"The envelope's '{name}' must be {expected}, not a JSON {Describe(found)}.");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };
}

/// <summary>A queue message that is not a readable envelope.</summary>
internal sealed class EnvelopeFormatException : Exception
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
