using System.CommandLine;
using System.Reflection;
using System.Xml.Linq;
using BrazeFunctions.Cli;

namespace BrazeFunctions.Tests.Cli;

/// <summary>What every command shares: -s, the usage exit code, documented exit codes, the dotnet tool.</summary>
public sealed class CliConventionsTests
{
    private static readonly string RepositoryRoot = FindRoot();

    [Fact]
    public void EveryCommand_HasTheSettingsOptionWithItsShortAlias()
    {
        var root = CliApp.CreateRootCommand(new CliConsole(TextReader.Null, TextWriter.Null, TextWriter.Null, Path.GetTempPath()));
        var leaves = Leaves(root).ToList();

        Assert.True(leaves.Count >= 8, $"only {leaves.Count} commands found");
        Assert.All(leaves, c => Assert.Contains(c.Options, o => o.Name == "--settings" && o.Aliases.Contains("-s")));
    }

    [Fact]
    public async Task ParseError_ExitsWithTheUsageCode()
    {
        using var error = new StringWriter();

        var exit = await CliApp.RunAsync(["deadletter", "list", "--no-such-option"], new CliConsole(TextReader.Null, TextWriter.Null, error, Path.GetTempPath()));

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--no-such-option", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionStringTogetherWithAnAccount_IsAUsageError()
    {
        using var error = new StringWriter();

        var exit = await CliApp.RunAsync(["deadletter", "list", "--connection", "UseDevelopmentStorage=true", "--account", "relaystore"],
            new CliConsole(TextReader.Null, TextWriter.Null, error, Path.GetTempPath()));

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("--connection takes a connection string", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryExitCode_IsDocumentedWithItsNumber()
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryRoot, "docs", "dispatch.md"));
        var table = docs[docs.IndexOf("### Exit codes", StringComparison.Ordinal)..];
        var codes = typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (f.Name, Value: (int)f.GetValue(null)!)).ToList();

        Assert.Equal(codes.Count, codes.Select(c => c.Value).Distinct().Count());
        Assert.All(codes, c => Assert.Matches($@"\n\| {c.Value} \| `{c.Name}` \|", table));
    }

    [Fact]
    public void Project_IsPackedAsTheBrazeRelayTool()
    {
        var project = XDocument.Load(Path.Combine(RepositoryRoot, "src", "BrazeFunctions.Cli", "BrazeFunctions.Cli.csproj"));
        string? Property(string name) => project.Descendants(name).SingleOrDefault()?.Value;

        Assert.Equal("true", Property("PackAsTool"));
        Assert.Equal("braze-relay", Property("ToolCommandName"));
        Assert.Equal("braze-relay", Property("AssemblyName"));
    }

    private static IEnumerable<Command> Leaves(Command command) =>
        command.Subcommands.Count == 0 ? [command] : command.Subcommands.SelectMany(Leaves);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BrazeFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("BrazeFunctions.sln not found above " + AppContext.BaseDirectory);
    }
}
