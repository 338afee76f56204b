using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;

namespace BrazeFunctions.Cli;

/// <summary>The CLI's JSON answers: indented, non-ASCII kept readable, times in ISO 8601 UTC.</summary>
internal static class JsonOutput
{
    public static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes one JSON document and a line break to <paramref name="output"/>.</summary>
    public static void Write(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Indented))
        {
            write(writer);
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }

    /// <summary>One poison message; <paramref name="full"/> adds the envelope (with its payload) and the raw text of what cannot be read.</summary>
    public static void WriteDeadLetter(Utf8JsonWriter writer, DeadLetterItem item, bool full)
    {
        var entry = item.Entry;
        var reason = entry.Reason;
        writer.WriteStartObject();
        writer.WriteString("queueMessageId", item.QueueMessageId);
        writer.WriteString("kind", DeadLetterCommands.Kind(item));
        writer.WriteString("messageId", item.MessageId);
        writer.WriteString("route", entry.Envelope?.Route ?? reason?.Route);
        writer.WriteString("reason", item.ReasonCode);
        WriteTime(writer, "deadLetteredAt", item.DeadLetteredAt);
        WriteTime(writer, "insertedOn", item.InsertedOn);
        writer.WriteNumber("dequeueCount", item.DequeueCount);
        if (reason is not null)
        {
            writer.WriteString("workspace", reason.Workspace ?? "default");
            WriteNumber(writer, "status", reason.Status);
            writer.WriteString("brazeMessage", reason.BrazeMessage);
            writer.WriteString("detail", reason.Detail);
            writer.WriteString("endpoint", reason.Endpoint);
            writer.WriteNumber("attempt", reason.Attempt);
            WriteTime(writer, "receivedAt", reason.ReceivedAt);
            writer.WriteString("correlationId", reason.CorrelationId);
        }

        writer.WriteString("problem", entry.Problem);
        if (full)
        {
            WriteEnvelope(writer, entry.Envelope);
            if (entry.Envelope is null)
            {
                writer.WriteString("text", item.Text);
            }
        }

        writer.WriteEndObject();
    }

    public static void WriteTime(Utf8JsonWriter writer, string name, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            writer.WriteString(name, time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    public static void WriteNumber(Utf8JsonWriter writer, string name, int? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteEnvelope(Utf8JsonWriter writer, WebhookEnvelope? envelope)
    {
        if (envelope is null)
        {
            writer.WriteNull("envelope");
            return;
        }

        writer.WriteStartObject("envelope");
        writer.WriteString("id", envelope.Id);
        writer.WriteString("route", envelope.Route);
        WriteTime(writer, "receivedAt", envelope.ReceivedAt);
        WriteTime(writer, "replayedAt", envelope.ReplayedAt);
        writer.WriteNumber("attempt", envelope.Attempt);
        writer.WriteString("idempotencyKey", envelope.IdempotencyKey);
        writer.WriteString("correlationId", envelope.CorrelationId);
        writer.WritePropertyName("payload");
        try
        {
            using var payload = JsonDocument.Parse(envelope.PayloadJson);
            payload.RootElement.WriteTo(writer);
        }
        catch (JsonException)
        {
            writer.WriteStringValue(envelope.PayloadJson);
        }

        writer.WriteEndObject();
    }
}
