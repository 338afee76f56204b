using System.CommandLine;

namespace BrazeFunctions.Cli;

/// <summary>Where a command reads and writes; tests pass string readers and writers.</summary>
internal sealed record CliConsole(TextReader In, TextWriter Out, TextWriter Error, string WorkingDirectory);

/// <summary>Process exit codes shared by every command.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Usage = 1;
    public const int TemplateError = 2;
    public const int Aborted = 3;
}

/// <summary>The operator tool: each command group comes from its own factory, added to the root here.</summary>
internal static class CliApp
{
    public static RootCommand CreateRootCommand(CliConsole console)
    {
        var root = new RootCommand("BrazeFunctions operator tool: render and validate route templates, list and replay dead letters.");
        root.Subcommands.Add(TemplateCommands.CreateRender(console));
        root.Subcommands.Add(TemplateCommands.CreateValidate(console));
        root.Subcommands.Add(DeadLetterCommands.Create(console));
        return root;
    }

    public static Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default) =>
        CreateRootCommand(console)
            .Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error }, cancellationToken);
}
