using System.CommandLine;

namespace BrazeFunctions.Cli;

/// <summary>Where a command reads and writes; tests pass string readers and writers.</summary>
internal sealed record CliConsole(TextReader In, TextWriter Out, TextWriter Error, string WorkingDirectory);

/// <summary>Process exit codes shared by every command (docs/dispatch.md lists them; a test holds the list to this class).</summary>
internal static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>Bad arguments or settings. The same code System.CommandLine returns for a parse error, so every usage error looks alike.</summary>
    public const int Usage = 1;

    /// <summary>A template, or a payload the ingress would refuse, fails a check.</summary>
    public const int TemplateError = 2;

    /// <summary><c>render</c>: the template ran <c>abort_message</c>.</summary>
    public const int Aborted = 3;

    /// <summary>Storage could not be reached, refused the identity, or failed part way.</summary>
    public const int StorageError = 4;

    /// <summary><c>deadletter replay</c> skipped a selected message, or <c>deadletter purge</c> could not remove one.</summary>
    public const int NotAll = 5;

    /// <summary><c>trace</c> found nothing about the id; <c>deadletter show</c> found no such dead letter.</summary>
    public const int NotFound = 6;

    /// <summary><c>deadletter purge</c>: the operator did not confirm.</summary>
    public const int Declined = 7;
}

/// <summary>The operator tool: each command group comes from its own factory, added to the root here.</summary>
internal static class CliApp
{
    /// <param name="console">Where commands read and write.</param>
    /// <param name="environment">Extra settings that override environment variables (tests).</param>
    public static RootCommand CreateRootCommand(CliConsole console, IDictionary<string, string?>? environment = null)
    {
        var root = new RootCommand("BrazeFunctions operator tool: render and validate route templates, print a route's Braze webhook settings, trace a webhook, list, show, replay and purge dead letters.");
        root.Subcommands.Add(TemplateCommands.CreateRender(console));
        root.Subcommands.Add(TemplateCommands.CreateValidate(console));
        root.Subcommands.Add(BrazeWebhookCommand.Create(console, environment));
        root.Subcommands.Add(TraceCommand.Create(console, environment));
        root.Subcommands.Add(DeadLetterCommands.Create(console, environment));
        return root;
    }

    public static Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default, IDictionary<string, string?>? environment = null) =>
        CreateRootCommand(console, environment)
            .Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error }, cancellationToken);
}
