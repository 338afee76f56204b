using System.CommandLine;
using System.Globalization;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Messages;
using BrazeFunctions.Core.Storage;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Cli;

/// <summary>
/// <c>deadletter list</c> and <c>deadletter replay</c>: the poison queue (<c>&lt;outbox&gt;-poison</c>) seen and emptied by an
/// operator, with the app's own services (<see cref="CliServices"/>). The connection comes from <c>--connection</c> or the
/// <c>AzureWebJobsStorage</c> setting (a connection string or the identity-based <c>AzureWebJobsStorage__queueServiceUri</c>
/// form), the queue from <c>--queue</c> or <c>Outbox__QueueName</c>, both also from local.settings.json.
/// </summary>
internal static class DeadLetterCommands
{
    public const int StorageError = 4;
    public const int NotAllReplayed = 5;

    public static Command Create(CliConsole console, IDictionary<string, string?>? environment = null, Action<ILoggingBuilder>? logging = null)
    {
        var command = new Command("deadletter", "Lists or replays the relay's dead letters (the outbox's poison queue).");
        command.Subcommands.Add(CreateList(console, environment, logging));
        command.Subcommands.Add(CreateReplay(console, environment, logging));
        return command;
    }

    private static Command CreateList(CliConsole console, IDictionary<string, string?>? environment, Action<ILoggingBuilder>? logging)
    {
        var shared = new SharedOptions();
        var route = new Option<string?>("--route") { Description = "Only dead letters of this route." };
        var status = new Option<int?>("--status") { Description = "Only dead letters whose last Braze answer had this HTTP status." };
        var command = new Command("list", "Prints one line per poison message: queue message id, kind, route, workspace, status, reason, message id, when, detail.")
        {
            route, status,
        };
        shared.AddTo(command);
        command.SetAction((parse, ct) => RunAsync(console, shared.Read(parse), environment, logging, async services =>
        {
            var items = await services.GetRequiredService<DeadLetterStore>().ListAsync(new DeadLetterFilter(parse.GetValue(route), parse.GetValue(status)), ct).ConfigureAwait(false);
            foreach (var item in items)
            {
                console.Out.WriteLine(Describe(item));
            }

            var unreadable = items.Count(i => i.Entry.Envelope is null);
            console.Out.WriteLine(unreadable == 0 ? $"{items.Count} message(s)" : $"{items.Count} message(s), {unreadable} without a readable envelope (never replayed)");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateReplay(CliConsole console, IDictionary<string, string?>? environment, Action<ILoggingBuilder>? logging)
    {
        var shared = new SharedOptions();
        var all = new Option<bool>("--all") { Description = "Replay every readable poison message." };
        var id = new Option<string?>("--id") { Description = "Replay the message with this envelope id (or poison queue message id)." };
        var route = new Option<string?>("--route") { Description = "Replay the dead letters of this route." };
        var status = new Option<int?>("--status") { Description = "Replay the dead letters whose last Braze answer had this HTTP status." };
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be replayed and why the rest would not; change nothing." };
        var includeAmbiguous = new Option<bool>("--include-ambiguous") { Description = "Also replay dead letters whose outcome at Braze is unknown (ambiguous_outcome). Braze may already have applied them: a replayed counter may count twice." };
        var force = new Option<bool>("--force") { Description = "Replay dead letters recorded for another workspace than the one their route's template names now (they go to the current one)." };
        var command = new Command("replay", "Puts dead letters back on the outbox page by page (attempt 0, a fresh expiry clock); each is removed from the poison queue only after it is back on the outbox.")
        {
            all, id, route, status, dryRun, includeAmbiguous, force,
        };
        shared.AddTo(command);
        command.SetAction((parse, ct) =>
        {
            var filter = new DeadLetterFilter(parse.GetValue(route), parse.GetValue(status), parse.GetValue(id));
            if (parse.GetValue(all) == (filter != DeadLetterFilter.All))
            {
                console.Error.WriteLine("error: say what to replay: --all, or one or more of --id, --route, --status (not together with --all).");
                return Task.FromResult(ExitCodes.Usage);
            }

            var options = new ReplayOptions(parse.GetValue(dryRun), parse.GetValue(includeAmbiguous), parse.GetValue(force));
            return RunAsync(console, shared.Read(parse), environment, logging, services => ReplayAsync(console, services, filter, options, ct));
        });
        return command;
    }

    private static async Task<int> ReplayAsync(CliConsole console, IServiceProvider services, DeadLetterFilter filter, ReplayOptions options, CancellationToken cancellationToken)
    {
        if (options.IncludeAmbiguous)
        {
            console.Error.WriteLine("warning: --include-ambiguous resends messages Braze may already have applied: a replayed counter may count twice, a replayed trigger may send twice.");
        }

        var progress = new SynchronousProgress<ReplayProgress>(p =>
            console.Error.WriteLine($"page {p.Page}: {p.Scanned} scanned, {p.Replayed} {(options.DryRun ? "would be replayed" : "replayed")}, {p.Skipped} skipped"));
        var result = await services.GetRequiredService<DeadLetterStore>().ReplayAsync(filter, options, progress, cancellationToken).ConfigureAwait(false);
        foreach (var replayed in result.Replayed)
        {
            var ambiguous = replayed.OverrideClaim ? " (ambiguous outcome: claim overridden)" : string.Empty;
            console.Out.WriteLine(result.DryRun
                ? $"would replay {replayed.MessageId} (route {replayed.Route}, poison message {replayed.QueueMessageId}){ambiguous}"
                : $"replayed {replayed.MessageId} (route {replayed.Route}){ambiguous}");
        }

        foreach (var skipped in result.Skipped)
        {
            console.Error.WriteLine($"skipped {skipped.QueueMessageId}{(skipped.MessageId is null ? string.Empty : $" ({skipped.MessageId})")}: {skipped.Problem}");
        }

        var overridden = result.Replayed.Count(r => r.OverrideClaim);
        if (overridden > 0)
        {
            console.Error.WriteLine($"warning: {overridden} {(result.DryRun ? "would be" : "were")} replayed with an ambiguous earlier outcome; Braze may apply them a second time (a counter may count twice). Check the profiles in Braze.");
        }

        console.Out.WriteLine(result.DryRun
            ? $"dry run: {result.Replayed.Count} would be replayed, {result.Skipped.Count} skipped, {result.Scanned} scanned; nothing was changed"
            : $"{result.Replayed.Count} replayed, {result.Skipped.Count} skipped, {result.Scanned} scanned");
        if (result.StorageProblem is not null)
        {
            console.Error.WriteLine($"error: stopped part way: {result.StorageProblem}; what is listed above as replayed is on the outbox");
            return StorageError;
        }

        return result.Skipped.Count == 0 ? ExitCodes.Ok : NotAllReplayed;
    }

    private static async Task<int> RunAsync(
        CliConsole console, IDictionary<string, string?> overrides, IDictionary<string, string?>? environment, Action<ILoggingBuilder>? logging, Func<IServiceProvider, Task<int>> action)
    {
        try
        {
            var settings = overrides[SharedOptions.SettingsKey];
            overrides.Remove(SharedOptions.SettingsKey);
            await using var services = CliServices.Build(console, settings, environment, overrides, logging);
            return await action(services).ConfigureAwait(false);
        }
        catch (CliSettingsException ex)
        {
            console.Error.WriteLine("error: " + ex.Message);
            return ExitCodes.Usage;
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("is not configured", StringComparison.Ordinal))
        {
            console.Error.WriteLine("error: no storage connection: pass --connection or set AzureWebJobsStorage. " + ex.Message);
            return ExitCodes.Usage;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            console.Error.WriteLine("error: " + string.Join(" ", ex.Failures));
            return ExitCodes.Usage;
        }
        catch (TemplateCatalogException ex)
        {
            console.Error.WriteLine("error: replay checks each dead letter against its route's template (workspace): pass --templates <dir> or set Templates__Directory. " + ex.Message);
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            console.Error.WriteLine($"error: the storage connection (--connection or AzureWebJobsStorage) is not valid ({ex.GetType().Name})");
            return ExitCodes.Usage;
        }
        catch (Exception ex) when (StorageFailure.Is(ex))
        {
            console.Error.WriteLine($"error: the poison queue could not be read: storage {StorageFailure.Describe(ex)}");
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
            reason is null ? "-" : reason.Workspace ?? WebhookTemplate.DefaultWorkspace,
            reason?.Status?.ToString(CultureInfo.InvariantCulture) ?? "-",
            reason?.Code ?? (entry.Kind == PoisonKind.HostPoison ? "crashed" : "-"),
            entry.Envelope?.Id ?? reason?.MessageId ?? "-",
            when?.ToString("u", CultureInfo.InvariantCulture) ?? "-",
            OneLine(reason?.BrazeMessage ?? reason?.Detail ?? entry.Problem ?? string.Empty));
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Replace('\t', ' ');

    /// <summary>The options every deadletter command has: where the queue is, which settings file, which templates.</summary>
    private sealed class SharedOptions
    {
        public const string SettingsKey = "--settings";

        private readonly Option<string?> _connection = new("--connection") { Description = "Storage connection string; defaults to the AzureWebJobsStorage setting." };
        private readonly Option<string?> _queue = new("--queue") { Description = $"Outbox queue name (the poison queue is <name>-poison); defaults to Outbox__QueueName or {OutboxOptions.DefaultQueueName}." };
        private readonly Option<string?> _settings = new(SettingsKey) { Description = "A local.settings.json whose Values to read; defaults to ./local.settings.json or src/BrazeFunctions/local.settings.json above the current directory." };
        private readonly Option<string?> _templates = new("--templates", "-t") { Description = "The templates folder (replay checks workspaces); defaults to Templates__Directory or the nearest templates/ folder." };

        public void AddTo(Command command)
        {
            command.Options.Add(_connection);
            command.Options.Add(_queue);
            command.Options.Add(_settings);
            command.Options.Add(_templates);
        }

        public Dictionary<string, string?> Read(ParseResult parse) => new(StringComparer.Ordinal)
        {
            ["AzureWebJobsStorage"] = parse.GetValue(_connection),
            [$"{OutboxOptions.Section}:QueueName"] = parse.GetValue(_queue),
            [$"{TemplateCatalogOptions.Section}:Directory"] = parse.GetValue(_templates),
            [SettingsKey] = parse.GetValue(_settings),
        };
    }

    /// <summary>Reports on the caller's thread, so progress lines and result lines come out in order.</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
