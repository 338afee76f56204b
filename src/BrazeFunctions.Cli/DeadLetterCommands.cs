using System.CommandLine;
using System.Globalization;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Cli;

/// <summary>
/// <c>deadletter list</c> and <c>deadletter show</c>, and the group with <c>replay</c> and <c>purge</c>
/// (<see cref="DeadLetterChangeCommands"/>): the poison queue (<c>&lt;outbox&gt;-poison</c>) seen and emptied by an operator,
/// with the app's own services (<see cref="CliServices"/>). Where the queue is comes from <see cref="StorageOptions"/>.
/// </summary>
internal static class DeadLetterCommands
{
    /// <summary>The columns of <c>deadletter list</c>, its header row.</summary>
    public static readonly string[] Columns = ["queue_message_id", "kind", "route", "workspace", "status", "reason", "message_id", "dead_lettered_at", "detail"];

    public static Command Create(CliConsole console, IDictionary<string, string?>? environment = null, Action<ILoggingBuilder>? logging = null)
    {
        var command = new Command("deadletter", "Lists, shows, replays or purges the relay's dead letters (the outbox's poison queue).");
        command.Subcommands.Add(CreateList(console, environment, logging));
        command.Subcommands.Add(CreateShow(console, environment, logging));
        command.Subcommands.Add(DeadLetterChangeCommands.CreateReplay(console, environment, logging));
        command.Subcommands.Add(DeadLetterChangeCommands.CreatePurge(console, environment, logging));
        return command;
    }

    private static Command CreateList(CliConsole console, IDictionary<string, string?>? environment, Action<ILoggingBuilder>? logging)
    {
        var storage = new StorageOptions();
        var selectors = new DeadLetterSelectors(withAll: false);
        var json = new Option<bool>("--json") { Description = "Print a JSON array of objects (every field, nothing shortened) instead of tab-separated lines." };
        var command = new Command("list",
            "Prints a header row, then one tab-separated line per poison message: " + string.Join(", ", Columns) + ". Progress and the count go to standard error. " +
            "A queue of 32 messages or fewer is peeked (nothing hidden); a longer one is read a page at a time, each page hidden from other readers for at most 30 seconds.")
        {
            json,
        };
        selectors.AddTo(command);
        storage.AddTo(command);
        command.SetAction((parse, ct) => storage.RunAsync(console, parse, environment, logging, async services =>
        {
            var progress = new SynchronousProgress<ScanProgress>(p => console.Error.WriteLine($"page {p.Page}: {p.Scanned} scanned, {p.Selected} selected"));
            var items = await services.GetRequiredService<IDeadLetterStore>().ListAsync(selectors.Read(parse), progress, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                WriteJson(console.Out, items);
            }
            else
            {
                console.Out.WriteLine(string.Join('\t', Columns));
                foreach (var item in items)
                {
                    console.Out.WriteLine(string.Join('\t', Fields(item)));
                }
            }

            var unreadable = items.Count(i => i.Entry.Envelope is null);
            console.Error.WriteLine(unreadable == 0 ? $"{items.Count} message(s)" : $"{items.Count} message(s), {unreadable} without a readable envelope (never replayed; purge removes them)");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateShow(CliConsole console, IDictionary<string, string?>? environment, Action<ILoggingBuilder>? logging)
    {
        var storage = new StorageOptions();
        var id = new Argument<string>("id") { Description = "The envelope id (the id the ingress returned) or the poison queue's message id." };
        var command = new Command("show", "Prints one dead letter as JSON: the reason (code, Braze's status and message, detail, endpoint, workspace, times), the envelope with its payload, and the raw text of what cannot be read. Exit 6 when it is not on the poison queue.")
        {
            id,
        };
        storage.AddTo(command);
        command.SetAction((parse, ct) => storage.RunAsync(console, parse, environment, logging, async services =>
        {
            var wanted = parse.GetRequiredValue(id);
            var found = await services.GetRequiredService<IDeadLetterStore>().ListAsync(new DeadLetterFilter(Id: wanted), null, ct).ConfigureAwait(false);
            if (found.Count == 0)
            {
                console.Error.WriteLine($"error: no dead letter with id '{wanted}' on the poison queue (see deadletter list, or trace {wanted})");
                return ExitCodes.NotFound;
            }

            JsonOutput.Write(console.Out, writer =>
            {
                writer.WriteStartArray();
                foreach (var item in found)
                {
                    JsonOutput.WriteDeadLetter(writer, item, full: true);
                }

                writer.WriteEndArray();
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    internal static IEnumerable<string> Fields(DeadLetterItem item)
    {
        var entry = item.Entry;
        var reason = entry.Reason;
        return
        [
            item.QueueMessageId,
            Kind(item),
            entry.Envelope?.Route ?? reason?.Route ?? "-",
            reason is null ? "-" : reason.Workspace ?? WebhookTemplate.DefaultWorkspace,
            reason?.Status?.ToString(CultureInfo.InvariantCulture) ?? "-",
            item.ReasonCode,
            item.MessageId ?? "-",
            item.DeadLetteredAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-",
            OneLine(reason?.BrazeMessage ?? reason?.Detail ?? entry.Problem ?? string.Empty),
        ];
    }

    internal static string Kind(DeadLetterItem item) => item.Entry.Kind switch
    {
        PoisonKind.DeadLetter => "dead-letter",
        PoisonKind.HostPoison => "host-poison",
        _ => "unreadable",
    };

    private static void WriteJson(TextWriter output, IReadOnlyList<DeadLetterItem> items) =>
        JsonOutput.Write(output, writer =>
        {
            writer.WriteStartArray();
            foreach (var item in items)
            {
                JsonOutput.WriteDeadLetter(writer, item, full: false);
            }

            writer.WriteEndArray();
        });

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Replace('\t', ' ');
}

/// <summary>
/// The selection options of <c>list</c>, <c>replay</c> and <c>purge</c>: <c>--all</c> (replay, purge: say it explicitly),
/// <c>--id</c>, <c>--route</c>, <c>--status</c>, <c>--reason</c> and <c>--since</c>; every one given must match.
/// </summary>
internal sealed class DeadLetterSelectors
{
    private readonly Option<bool>? _all;
    private readonly Option<string?> _id = new("--id") { Description = "The envelope id (the id the ingress returned) or the poison queue's message id." };
    private readonly Option<string?> _route = new("--route") { Description = "Dead letters of this route." };
    private readonly Option<int?> _status = new("--status") { Description = "Dead letters whose last Braze answer had this HTTP status." };
    private readonly Option<string?> _reason = new("--reason") { Description = "Dead letters with this reason code (http_400, ambiguous_outcome, expired, invalid_envelope, host_poison, unreadable, ...)." };
    private readonly Option<DateTimeOffset?> _since = new("--since")
    {
        Description = "Dead letters dead-lettered at or after this time: an ISO 8601 time (UTC unless it has an offset), or an age such as 90m, 6h, 2d.",
        CustomParser = result => SinceParser.Parse(result, TimeProvider.System),
    };

    public DeadLetterSelectors(bool withAll)
    {
        if (withAll)
        {
            _all = new Option<bool>("--all") { Description = "Every message on the poison queue (not together with the other selectors)." };
        }
    }

    public void AddTo(Command command)
    {
        if (_all is not null)
        {
            command.Options.Add(_all);
        }

        command.Options.Add(_id);
        command.Options.Add(_route);
        command.Options.Add(_status);
        command.Options.Add(_reason);
        command.Options.Add(_since);
    }

    public DeadLetterFilter Read(ParseResult parse) =>
        new(parse.GetValue(_route), parse.GetValue(_status), parse.GetValue(_id)) { Reason = parse.GetValue(_reason), Since = parse.GetValue(_since) };

    /// <summary>For replay and purge: exactly one of <c>--all</c> or a selection; null with the problem when neither or both.</summary>
    public DeadLetterFilter? ReadExplicit(ParseResult parse, string verb, out string? problem)
    {
        var filter = Read(parse);
        problem = _all is not null && parse.GetValue(_all) == filter.SelectsAll
            ? null
            : $"say what to {verb}: --all, or one or more of --id, --route, --status, --reason, --since (not together with --all).";
        return problem is null ? filter : null;
    }
}

/// <summary>Reports on the caller's thread, so progress lines and result lines come out in order.</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
