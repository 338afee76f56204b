using System.Buffers;
using System.Text;
using System.Text.Json;

namespace BrazeFunctions.Core.Messages;

/// <summary>
/// Why a message was dead-lettered: enough for an operator to act without reading logs. Never holds the API key or the
/// rendered request body (the envelope beside it holds the original payload).
/// </summary>
/// <param name="Code">Short reason code, the same as the <c>reason</c> tag of <c>relay.deliveries.dead_lettered</c>: http_400, http_401,
/// http_404, template_error, retries_exhausted, invalid_envelope, endpoint_not_allowed, expired...</param>
/// <param name="Status">Braze's HTTP status of the last attempt, when there was an answer.</param>
/// <param name="BrazeMessage">Braze's <c>message</c> text of the last answer (shortened).</param>
/// <param name="Detail">What else explains it: the render error with line and column, the transport failure, Braze's error types.</param>
/// <param name="Endpoint">The Braze REST path, when the template got that far.</param>
/// <param name="Route">The webhook's route.</param>
/// <param name="MessageId">The envelope id (returned to Braze by the ingress).</param>
/// <param name="Attempt">Relay retry-schedule attempts made before giving up.</param>
/// <param name="ReceivedAt">When the ingress accepted the webhook.</param>
/// <param name="DeadLetteredAt">When the dispatcher gave up.</param>
/// <param name="CorrelationId">The ingress request's traceparent.</param>
public sealed record DeadLetterReason(
    string Code,
    int? Status,
    string? BrazeMessage,
    string? Detail,
    string? Endpoint,
    string Route,
    string MessageId,
    int Attempt,
    DateTimeOffset? ReceivedAt,
    DateTimeOffset DeadLetteredAt,
    string? CorrelationId)
{
    /// <summary>The Braze workspace the route's template named when the message was dead-lettered (its name, never its key).</summary>
    public string? Workspace { get; init; }
}

/// <summary>What a message on the poison queue turned out to be.</summary>
public enum PoisonKind
{
    /// <summary>Written by the dispatcher: envelope plus reason.</summary>
    DeadLetter,

    /// <summary>Moved by the Functions host after <c>maxDequeueCount</c> crashed runs: the bare envelope, no reason.</summary>
    HostPoison,

    /// <summary>Neither: listed so that it is seen, never replayed.</summary>
    Unreadable,
}

/// <summary>One poison-queue message, read.</summary>
public sealed record PoisonEntry(PoisonKind Kind, WebhookEnvelope? Envelope, DeadLetterReason? Reason, string? Problem);

/// <summary>The dead-letter message format: <c>{"kind":"relay.dead-letter","v":1,"reason":{...},"envelope":{...}}</c>.</summary>
internal static class DeadLetterCodec
{
    public const string Kind = "relay.dead-letter";
    public const int Version = 1;

    private static readonly JsonSerializerOptions ReasonJson = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    // Reading is strict about the reason's shape (a null or missing code, route or message id is an unreadable reason, not a
    // null in a non-null property), so nothing downstream meets a half-read record.
    private static readonly JsonSerializerOptions ReasonReadJson = new(ReasonJson) { RespectNullableAnnotations = true };

    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = 128 };

    /// <summary>Writes a dead letter. <paramref name="envelope"/> is embedded as JSON; when null, <paramref name="rawMessage"/> is kept as text.</summary>
    public static byte[] Serialize(DeadLetterReason reason, WebhookEnvelope? envelope, string? rawMessage)
    {
        ArgumentNullException.ThrowIfNull(reason);
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", Kind);
            writer.WriteNumber("v", Version);
            writer.WritePropertyName("reason");
            JsonSerializer.Serialize(writer, reason, ReasonJson);
            if (envelope is not null)
            {
                writer.WritePropertyName("envelope");
                writer.WriteRawValue(EnvelopeCodec.Serialize(envelope), skipInputValidation: true);
            }
            else
            {
                writer.WriteString("rawMessage", rawMessage ?? string.Empty);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads whatever the poison queue holds; never throws on bad input. A dead letter whose reason cannot be read has a
    /// null <see cref="PoisonEntry.Reason"/>; one whose envelope cannot be read has a null <see cref="PoisonEntry.Envelope"/>;
    /// <see cref="PoisonEntry.Problem"/> says what was wrong.
    /// </summary>
    public static PoisonEntry Parse(ReadOnlyMemory<byte> utf8)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, ReadOptions);
        }
        catch (JsonException ex)
        {
            return new PoisonEntry(PoisonKind.Unreadable, null, null,
                $"the message is not JSON, or nests deeper than {ReadOptions.MaxDepth} levels (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})");
        }

        using (document)
        {
            var root = document.RootElement;
            if (!IsDeadLetter(root))
            {
                try
                {
                    return new PoisonEntry(PoisonKind.HostPoison, EnvelopeCodec.Deserialize(utf8), null, null);
                }
                catch (EnvelopeFormatException ex)
                {
                    return new PoisonEntry(PoisonKind.Unreadable, null, null, ex.Message);
                }
            }

            var problems = new List<string>();
            var reason = ReadReason(root, problems);
            WebhookEnvelope? envelope = null;
            if (root.TryGetProperty("envelope", out var e) && e.ValueKind != JsonValueKind.Null)
            {
                try
                {
                    envelope = EnvelopeCodec.Deserialize(Encoding.UTF8.GetBytes(e.GetRawText()));
                }
                catch (EnvelopeFormatException ex)
                {
                    problems.Add(ex.Message);
                }
            }
            else
            {
                problems.Add("the dead letter holds the raw message, not a readable envelope");
            }

            return new PoisonEntry(PoisonKind.DeadLetter, envelope, reason, problems.Count == 0 ? null : string.Join("; ", problems));
        }
    }

    private static bool IsDeadLetter(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("kind", out var kind) && kind.ValueKind == JsonValueKind.String
        && kind.ValueEquals(Kind);

    private static DeadLetterReason? ReadReason(JsonElement root, List<string> problems)
    {
        if (!root.TryGetProperty("reason", out var r) || r.ValueKind != JsonValueKind.Object)
        {
            problems.Add("the dead letter has no reason object");
            return null;
        }

        try
        {
            var reason = r.Deserialize<DeadLetterReason>(ReasonReadJson);
            var missing = new[] { ("code", reason?.Code), ("route", reason?.Route), ("messageId", reason?.MessageId) }.FirstOrDefault(f => string.IsNullOrEmpty(f.Item2));
            if (missing.Item1 is null)
            {
                return reason;
            }

            problems.Add($"the dead letter's reason cannot be read (it has no '{missing.Item1}')");
        }
        catch (JsonException ex)
        {
            // The path names the field (e.g. $.status), never its value.
            problems.Add($"the dead letter's reason cannot be read (at {ex.Path ?? "$"})");
        }
        catch (InvalidOperationException)
        {
            problems.Add("the dead letter's reason holds text that is not valid UTF-16");
        }

        return null;
    }
}
