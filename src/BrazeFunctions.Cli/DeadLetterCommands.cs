using System.CommandLine;
using System.Globalization;
using Azure;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Cli;

/// <summary>
/// <c>deadletter list</c> and <c>deadletter replay</c>: the poison queue (<c>&lt;outbox&gt;-poison</c>) seen and emptied by an
/// operator. The connection comes from <c>--connection</c> or the <c>AzureWebJobsStorage</c> setting (a connection string or
/// the identity-based <c>AzureWebJobsStorage__queueServiceUri</c> form), the queue from <c>--queue</c> or <c>Outbox__QueueName</c>.
/// </summary>
internal static class DeadLetterCommands
{
    public const int StorageError = 4;
    public const int NotAllReplayed = 5;

    public static Command Create(CliConsole console, IDictionary<string, string?>? environment = null)
    {
        var command = new Command("deadletter", "Lists or replays the relay's dead letters (the outbox's poison queue).");
        command.Subcommands.Add(CreateList(console, environment));
        command.Subcommands.Add(CreateReplay(console, environment));
        return command;
    }

    private static Command CreateList(CliConsole console, IDictionary<string, string?>? environment)
    {
        var (connection, queue) = StorageOptions();
        var route = new Option<string?>("--route") { Description = "Only dead letters of this route." };
        var status = new Option<int?>("--status") { Description = "Only dead letters whose last Braze answer had this HTTP status." };
        var command = new Command("list", "Prints one line per poison message: queue message id, kind, route, status, reason, message id, when, detail.")
        {
            connection, queue, route, status,
        };
        command.SetAction((parse, ct) => RunAsync(console, environment, parse.GetValue(connection), parse.GetValue(queue), async store =>
        {
            var items = await store.ListAsync(new DeadLetterFilter(parse.GetValue(route), parse.GetValue(status)), ct).ConfigureAwait(false);
            foreach (var item in items)
            {
                console.Out.WriteLine(Describe(item));
            }

            console.Out.WriteLine($"{items.Count} message(s)");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateReplay(CliConsole console, IDictionary<string, string?>? environment)
    {
        var (connection, queue) = StorageOptions();
        var all = new Option<bool>("--all") { Description = "Replay every readable poison message." };
        var id = new Option<string?>("--id") { Description = "Replay the message with this envelope id (or poison queue message id)." };
        var route = new Option<string?>("--route") { Description = "Replay the dead letters of this route." };
        var status = new Option<int?>("--status") { Description = "Replay the dead letters whose last Braze answer had this HTTP status." };
        var command = new Command("replay", "Puts dead letters back on the outbox with the attempt counter reset; each is removed from the poison queue only after it is back on the outbox.")
        {
            connection, queue, all, id, route, status,
        };
        command.SetAction((parse, ct) =>
        {
            var filter = new DeadLetterFilter(parse.GetValue(route), parse.GetValue(status), parse.GetValue(id));
            var everything = parse.GetValue(all);
            if (everything == (filter != DeadLetterFilter.All))
            {
                console.Error.WriteLine("error: say what to replay: --all, or one or more of --id, --route, --status (not together with --all).");
                return Task.FromResult(ExitCodes.Usage);
            }

            return RunAsync(console, environment, parse.GetValue(connection), parse.GetValue(queue), async store =>
            {
                var result = await store.ReplayAsync(filter, ct).ConfigureAwait(false);
                foreach (var replayed in result.Replayed)
                {
                    console.Out.WriteLine($"replayed {replayed}");
                }

                foreach (var (queueMessageId, problem) in result.Skipped)
                {
                    console.Error.WriteLine($"skipped {queueMessageId}: {problem}");
                }

                console.Out.WriteLine($"{result.Replayed.Count} replayed, {result.Skipped.Count} skipped");
                return result.Skipped.Count == 0 ? ExitCodes.Ok : NotAllReplayed;
            });
        });
        return command;
    }

    private static (Option<string?> Connection, Option<string?> Queue) StorageOptions() =>
        (new Option<string?>("--connection") { Description = "Storage connection string; defaults to the AzureWebJobsStorage setting." },
         new Option<string?>("--queue") { Description = $"Outbox queue name (the poison queue is <name>-poison); defaults to Outbox__QueueName or {OutboxOptions.DefaultQueueName}." });

    private static async Task<int> RunAsync(CliConsole console, IDictionary<string, string?>? environment, string? connection, string? queue, Func<DeadLetterStore, Task<int>> action)
    {
        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddInMemoryCollection(environment ?? new Dictionary<string, string?>())
            .AddInMemoryCollection(new Dictionary<string, string?> { ["AzureWebJobsStorage"] = connection, ["Outbox:QueueName"] = queue }.Where(kv => kv.Value is not null))
            .Build();
        var outbox = new OutboxOptions();
        configuration.GetSection(OutboxOptions.Section).Bind(outbox);
        var options = Options.Create(outbox);
        try
        {
            var store = new DeadLetterStore(new RelayQueues(new QueueServiceClientFactory(configuration, options), options), options, NullLogger<DeadLetterStore>.Instance);
            return await action(store).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("is not configured", StringComparison.Ordinal))
        {
            console.Error.WriteLine("error: no storage connection: pass --connection or set AzureWebJobsStorage. " + ex.Message);
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is RequestFailedException or AggregateException or HttpRequestException or IOException or FormatException or ArgumentException)
        {
            var failed = ex as RequestFailedException;
            console.Error.WriteLine(failed is null
                ? $"error: the poison queue could not be read ({ex.GetType().Name})"
                : $"error: storage answered {failed.Status} {failed.ErrorCode}");
            return StorageError;
        }
    }

    private static string Describe(DeadLetterItem item)
    {
        var entry = item.Entry;
        var reason = entry.Reason;
        var when = reason?.DeadLetteredAt ?? item.InsertedOn;
        return string.Join('\t',
            item.QueueMessageId,
            entry.Kind switch { PoisonKind.DeadLetter => "dead-letter", PoisonKind.HostPoison => "host-poison", _ => "unreadable" },
            entry.Envelope?.Route ?? reason?.Route ?? "-",
            reason?.Status?.ToString(CultureInfo.InvariantCulture) ?? "-",
            reason?.Code ?? (entry.Kind == PoisonKind.HostPoison ? "crashed" : "-"),
            entry.Envelope?.Id ?? reason?.MessageId ?? "-",
            when?.ToString("u", CultureInfo.InvariantCulture) ?? "-",
            OneLine(reason?.BrazeMessage ?? reason?.Detail ?? entry.Problem ?? string.Empty));
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Replace('\t', ' ');
}
