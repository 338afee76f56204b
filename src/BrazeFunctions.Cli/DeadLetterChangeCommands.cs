using System.CommandLine;
using BrazeFunctions.Core.Dispatch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BrazeFunctions.Cli;

/// <summary><c>deadletter replay</c> and <c>deadletter purge</c>: the commands that change the poison queue.</summary>
internal static class DeadLetterChangeCommands
{
    public static Command CreateReplay(CliConsole console, IDictionary<string, string?>? environment, Action<ILoggingBuilder>? logging)
    {
        var storage = new StorageOptions();
        var selectors = new DeadLetterSelectors(withAll: true);
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be replayed and why the rest would not; change nothing." };
        var includeAmbiguous = new Option<bool>("--include-ambiguous") { Description = "Also replay dead letters whose outcome at Braze is unknown (ambiguous_outcome). Braze may already have applied them: a replayed counter may count twice." };
        var force = new Option<bool>("--force") { Description = "Replay dead letters recorded for another workspace than the one their route's template names now (they go to the current one)." };
        var command = new Command("replay", "Puts dead letters back on the outbox page by page (attempt 0, a fresh expiry clock); each is removed from the poison queue only after it is back on the outbox. Exit 5 when a selected one was skipped.")
        {
            dryRun, includeAmbiguous, force,
        };
        selectors.AddTo(command);
        storage.AddTo(command);
        command.SetAction((parse, ct) =>
        {
            if (selectors.ReadExplicit(parse, "replay", out var problem) is not { } filter)
            {
                console.Error.WriteLine("error: " + problem);
                return Task.FromResult(ExitCodes.Usage);
            }

            var options = new ReplayOptions(parse.GetValue(dryRun), parse.GetValue(includeAmbiguous), parse.GetValue(force));
            return storage.RunAsync(console, parse, environment, logging, services => ReplayAsync(console, services, filter, options, ct));
        });
        return command;
    }

    public static Command CreatePurge(CliConsole console, IDictionary<string, string?>? environment, Action<ILoggingBuilder>? logging)
    {
        var storage = new StorageOptions();
        var selectors = new DeadLetterSelectors(withAll: true);
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be removed; change nothing." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation." };
        var command = new Command("purge",
            "Removes dead letters from the poison queue for good, unreadable ones and invalid_envelope included. Lists what it selected and asks for confirmation (type yes) unless --yes; " +
            "only the listed messages are removed. Exit 7 when not confirmed, 5 when one could not be removed.")
        {
            dryRun, yes,
        };
        selectors.AddTo(command);
        storage.AddTo(command);
        command.SetAction((parse, ct) =>
        {
            if (selectors.ReadExplicit(parse, "purge", out var problem) is not { } filter)
            {
                console.Error.WriteLine("error: " + problem);
                return Task.FromResult(ExitCodes.Usage);
            }

            return storage.RunAsync(console, parse, environment, logging, services => PurgeAsync(console, services, filter, parse.GetValue(dryRun), parse.GetValue(yes), ct));
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
        var result = await services.GetRequiredService<IDeadLetterStore>().ReplayAsync(filter, options, progress, cancellationToken).ConfigureAwait(false);
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
            return ExitCodes.StorageError;
        }

        return result.Skipped.Count == 0 ? ExitCodes.Ok : ExitCodes.NotAll;
    }

    private static async Task<int> PurgeAsync(CliConsole console, IServiceProvider services, DeadLetterFilter filter, bool dryRun, bool yes, CancellationToken cancellationToken)
    {
        var store = services.GetRequiredService<IDeadLetterStore>();
        var progress = new SynchronousProgress<ScanProgress>(p => console.Error.WriteLine($"page {p.Page}: {p.Scanned} scanned, {p.Selected} selected"));
        var options = new PurgeOptions();
        if (dryRun || !yes)
        {
            var listed = await store.PurgeAsync(filter, new PurgeOptions(DryRun: true), progress, cancellationToken).ConfigureAwait(false);
            foreach (var item in listed.Purged)
            {
                console.Out.WriteLine($"would purge {Describe(item)}");
            }

            WarnAmbiguous(console, listed.Purged, "would be");
            if (dryRun || listed.Purged.Count == 0)
            {
                console.Out.WriteLine($"dry run: {listed.Purged.Count} would be purged, {listed.Scanned} scanned; nothing was changed");
                return ExitCodes.Ok;
            }

            console.Error.Write($"Remove these {listed.Purged.Count} dead letter(s) for good? Type yes to confirm: ");
            var answer = await console.In.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (!string.Equals(answer?.Trim(), "yes", StringComparison.OrdinalIgnoreCase) && !string.Equals(answer?.Trim(), "y", StringComparison.OrdinalIgnoreCase))
            {
                console.Error.WriteLine();
                console.Out.WriteLine("not confirmed: nothing was purged");
                return ExitCodes.Declined;
            }

            options = new PurgeOptions(OnlyQueueMessageIds: listed.Purged.Select(i => i.QueueMessageId).ToHashSet(StringComparer.Ordinal));
        }

        var result = await store.PurgeAsync(filter, options, progress, cancellationToken).ConfigureAwait(false);
        foreach (var item in result.Purged)
        {
            console.Out.WriteLine($"purged {Describe(item)}");
        }

        foreach (var failed in result.Failed)
        {
            console.Error.WriteLine($"not purged {failed.QueueMessageId}{(failed.MessageId is null ? string.Empty : $" ({failed.MessageId})")}: {failed.Problem}");
        }

        WarnAmbiguous(console, result.Purged, "were");
        console.Out.WriteLine($"{result.Purged.Count} purged, {result.Failed.Count} not purged, {result.Scanned} scanned");
        if (result.StorageProblem is not null)
        {
            console.Error.WriteLine($"error: stopped part way: {result.StorageProblem}; what is listed above as purged is gone");
            return ExitCodes.StorageError;
        }

        return result.Failed.Count == 0 ? ExitCodes.Ok : ExitCodes.NotAll;
    }

    private static string Describe(DeadLetterItem item) =>
        $"{item.QueueMessageId} ({item.MessageId ?? "no message id"}, {item.ReasonCode}, route {item.Entry.Envelope?.Route ?? item.Entry.Reason?.Route ?? "-"})";

    private static void WarnAmbiguous(CliConsole console, IReadOnlyList<DeadLetterItem> items, string verb)
    {
        var ambiguous = items.Count(i => i.OutcomeUnknown);
        if (ambiguous > 0)
        {
            console.Error.WriteLine($"warning: {ambiguous} {verb} purged with an unknown outcome at Braze (ambiguous_outcome): if Braze did not apply them, a counter stays one short. Check the profiles in Braze.");
        }
    }
}
