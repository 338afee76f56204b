using System.CommandLine;
using System.Globalization;
using BrazeFunctions.Core.Dispatch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Cli;

/// <summary><c>trace &lt;id&gt;</c>: where one webhook is, from the id the ingress's 202 returned.</summary>
internal static class TraceCommand
{
    public static Command Create(CliConsole console, IDictionary<string, string?>? environment = null, Action<ILoggingBuilder>? logging = null)
    {
        var storage = new StorageOptions();
        var id = new Argument<string>("id") { Description = "The message id the ingress returned in its 202 ({\"id\": ...})." };
        var json = new Option<bool>("--json") { Description = "Print the whole report as JSON." };
        var command = new Command("trace",
            "Says where a webhook is: queued (visible, or waiting until when), delivered (when, Braze's status, the batch size), dead-lettered (reason and detail), replayed, purged, aborted or a duplicate. " +
            "Reads the relay's trace records, peeks the front of the outbox and lists the poison queue. The last line on standard output is 'status: <state>'. Exit 6 when nothing is known about the id.")
        {
            id,
            json,
        };
        storage.AddTo(command);
        command.SetAction((parse, ct) => storage.RunAsync(console, parse, environment, logging, async services =>
        {
            var report = await services.GetRequiredService<IMessageTrace>().TraceAsync(parse.GetRequiredValue(id), ct).ConfigureAwait(false);
            foreach (var note in report.Notes)
            {
                console.Error.WriteLine("note: " + note);
            }

            if (parse.GetValue(json))
            {
                JsonOutput.Write(console.Out, writer => WriteJson(writer, report));
            }
            else
            {
                WriteText(console.Out, report);
            }

            return report.State == MessageState.Unknown ? ExitCodes.NotFound : ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The lowercase name operators see, e.g. <c>dead-lettered</c>.</summary>
    public static string Name(MessageState state) => state switch
    {
        MessageState.DeadLettered => "dead-lettered",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static string When(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void WriteText(TextWriter output, MessageTraceReport report)
    {
        var route = report.History.LastOrDefault(r => r.Route is not null)?.Route ?? report.DeadLetter?.Entry.Envelope?.Route ?? report.DeadLetter?.Entry.Reason?.Route;
        output.WriteLine($"message {report.MessageId}" + (route is null ? string.Empty : $", route {route}") +
            (report.ReceivedAt is { } received ? $", received {When(received)} (the time in its id)" : string.Empty));
        foreach (var record in report.History)
        {
            output.WriteLine("  " + Describe(record));
        }

        output.WriteLine(report.Summary);
        if (report.State == MessageState.DeadLettered)
        {
            output.WriteLine($"  show it: deadletter show {report.MessageId}; send it again: deadletter replay --id {report.MessageId}; remove it: deadletter purge --id {report.MessageId}");
        }

        output.WriteLine("status: " + Name(report.State));
    }

    private static string Describe(TraceRecord record)
    {
        var facts = new List<string>();
        if (record.Reason is not null)
        {
            facts.Add(record.Reason);
        }

        if (record.Status is { } status)
        {
            facts.Add("Braze " + status.ToString(CultureInfo.InvariantCulture));
        }

        if (record.BatchSize is { } size)
        {
            facts.Add($"batch of {size.ToString(CultureInfo.InvariantCulture)}");
        }

        if (record.Endpoint is not null)
        {
            facts.Add(record.Endpoint);
        }

        if (record.Workspace is not null)
        {
            facts.Add("workspace " + record.Workspace);
        }

        if (record.Until is { } until)
        {
            facts.Add("until " + When(until));
        }

        if (record.Attempt is { } attempt)
        {
            facts.Add("attempt " + attempt.ToString(CultureInfo.InvariantCulture));
        }

        var name = record.Event == TraceEvent.DeadLettered ? "dead-lettered" : record.Event.ToString().ToLowerInvariant();
        return $"{When(record.At)}  {name}" + (facts.Count == 0 ? string.Empty : ": " + string.Join(", ", facts));
    }

    private static void WriteJson(System.Text.Json.Utf8JsonWriter writer, MessageTraceReport report)
    {
        writer.WriteStartObject();
        writer.WriteString("messageId", report.MessageId);
        writer.WriteString("state", Name(report.State));
        writer.WriteString("summary", report.Summary);
        JsonOutput.WriteTime(writer, "receivedAt", report.ReceivedAt);
        writer.WriteBoolean("seenOnOutbox", report.SeenOnOutbox);
        writer.WriteStartArray("history");
        foreach (var record in report.History)
        {
            writer.WriteStartObject();
            writer.WriteString("event", record.Event == TraceEvent.DeadLettered ? "dead-lettered" : record.Event.ToString().ToLowerInvariant());
            JsonOutput.WriteTime(writer, "at", record.At);
            writer.WriteString("route", record.Route);
            writer.WriteString("reason", record.Reason);
            JsonOutput.WriteNumber(writer, "status", record.Status);
            JsonOutput.WriteNumber(writer, "batchSize", record.BatchSize);
            JsonOutput.WriteTime(writer, "until", record.Until);
            writer.WriteString("endpoint", record.Endpoint);
            writer.WriteString("workspace", record.Workspace);
            JsonOutput.WriteNumber(writer, "attempt", record.Attempt);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (report.DeadLetter is { } deadLetter)
        {
            writer.WritePropertyName("deadLetter");
            JsonOutput.WriteDeadLetter(writer, deadLetter, full: false);
        }

        writer.WriteStartArray("notes");
        report.Notes.ToList().ForEach(writer.WriteStringValue);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
