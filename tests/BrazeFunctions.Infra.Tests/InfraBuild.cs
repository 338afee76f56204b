using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// Builds the infrastructure once per test run, from the sources: infra/main.bicep to ARM JSON, infra/main.bicepparam
/// to a parameters file, and one deployment snapshot per parameters scenario (infra/main.bicepparam itself with a
/// known environment, and every file in Scenarios/). Everything is written to a temporary folder, never to infra/out.
/// </summary>
public sealed partial class InfraBuild : IAsyncLifetime
{
    /// <summary>The scenario name of infra/main.bicepparam, snapshotted with <see cref="MainParametersEnvironment"/>.</summary>
    public const string MainParameters = "main";

    /// <summary>
    /// The scenario name of infra/subscription.bicepparam (the azd entry), snapshotted at subscription scope with
    /// <see cref="MainParametersEnvironment"/>.
    /// </summary>
    public const string SubscriptionParameters = "subscription";

    // Ids the snapshot needs to name resources; any well-formed values do.
    private const string SubscriptionId = "00000000-0000-0000-0000-000000000001";
    private const string ResourceGroup = "rg-relay-tests";

    /// <summary>
    /// The environment infra/main.bicepparam is snapshotted with: what a user of the single-workspace form sets (see
    /// docs/deploy.md). Values named SECRET-* must never reach anything but Key Vault secrets.
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string> MainParametersEnvironment = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["AZURE_ENV_NAME"] = "relaydefaults",
        ["AZURE_LOCATION"] = "westeurope",
        ["BRAZE_REST_ENDPOINT"] = "https://rest.fra-02.braze.eu",
        ["BRAZE_API_KEY"] = "SECRET-main-api-key-5e17",
        ["RELAY_INGRESS_SECRET"] = "SECRET-main-ingress-c2a8",
    };

    private readonly Dictionary<string, (DeploymentSnapshot? Snapshot, string Output)> scenarios = new(StringComparer.Ordinal);
    private DirectoryInfo? workDirectory;
    private CompiledTemplate? template;
    private CompiledTemplate? subscriptionTemplate;
    private string? buildOutput;
    private JsonObject? parameters;

    public string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>infra/main.bicep compiled to ARM JSON by this run.</summary>
    internal CompiledTemplate Template => template ?? throw new InvalidOperationException("The template was not built.");

    /// <summary>infra/subscription.bicep (the azd entry) compiled to ARM JSON by this run.</summary>
    internal CompiledTemplate SubscriptionTemplate => subscriptionTemplate ?? throw new InvalidOperationException("The subscription template was not built.");

    /// <summary>Environment variables infra/subscription.bicepparam reads, by the parameter they feed.</summary>
    internal IReadOnlyDictionary<string, string> SubscriptionEnvironmentVariablesByParameter { get; private set; } = new Dictionary<string, string>();

    /// <summary>Everything `bicep build` printed: errors and linter diagnostics (bicepconfig.json applies).</summary>
    internal string BuildOutput => buildOutput ?? string.Empty;

    /// <summary>infra/main.bicepparam compiled by `bicep build-params` the way infra/build.sh does it.</summary>
    internal JsonObject ParametersFile => parameters ?? throw new InvalidOperationException("The parameters file was not built.");

    /// <summary>Environment variables infra/main.bicepparam reads, by the parameter they feed.</summary>
    internal IReadOnlyDictionary<string, string> EnvironmentVariablesByParameter { get; private set; } = new Dictionary<string, string>();

    /// <summary>The snapshot of a scenario that must deploy; fails the test with the CLI's output when it did not.</summary>
    internal DeploymentSnapshot Snapshot(string scenario)
    {
        var (snapshot, output) = scenarios[scenario];
        Assert.True(snapshot is not null, $"Scenario '{scenario}' did not snapshot:\n{output}");
        Assert.True(snapshot.Diagnostics.Count == 0, $"Scenario '{scenario}' was only partly expanded:\n{string.Join('\n', snapshot.Diagnostics)}");
        return snapshot;
    }

    /// <summary>The CLI's output for a scenario that must be refused before anything is deployed.</summary>
    internal string RefusedSnapshot(string scenario)
    {
        var (snapshot, output) = scenarios[scenario];
        Assert.True(snapshot is null, $"Scenario '{scenario}' should have been refused, but it snapshotted.");
        return output;
    }

    public async ValueTask InitializeAsync()
    {
        var bicep = BicepCli.Locate();
        workDirectory = Directory.CreateTempSubdirectory("braze-infra-tests-");
        var infra = Path.Combine(RepositoryRoot, "infra");
        var mainParameters = Path.Combine(infra, "main.bicepparam");
        var subscriptionParameters = Path.Combine(infra, "subscription.bicepparam");
        EnvironmentVariablesByParameter = ReadEnvironmentVariables(File.ReadAllText(mainParameters));
        SubscriptionEnvironmentVariablesByParameter = ReadEnvironmentVariables(File.ReadAllText(subscriptionParameters));
        // Nothing from the shell that runs the tests may change what is built.
        var clean = EnvironmentVariablesByParameter.Values.Concat(SubscriptionEnvironmentVariablesByParameter.Values)
            .Distinct(StringComparer.Ordinal)
            .ToDictionary(v => v, _ => (string?)null, StringComparer.Ordinal);

        var build = bicep.RunAsync(["build", Path.Combine(infra, "main.bicep"), "--outfile", Path.Combine(workDirectory.FullName, "main.json")], workDirectory.FullName, clean);
        var buildSubscription = bicep.RunAsync(["build", Path.Combine(infra, "subscription.bicep"), "--outfile", Path.Combine(workDirectory.FullName, "subscription.json")], workDirectory.FullName, clean);
        var buildParams = bicep.RunAsync(["build-params", mainParameters, "--outfile", Path.Combine(workDirectory.FullName, "main.parameters.json")], workDirectory.FullName, clean);

        var mainEnvironment = new Dictionary<string, string?>(clean, StringComparer.Ordinal);
        foreach (var (name, value) in MainParametersEnvironment)
        {
            mainEnvironment[name] = value;
        }

        var runs = new List<Task<(string Name, DeploymentSnapshot? Snapshot, string Output)>>
        {
            SnapshotAsync(bicep, MainParameters, mainParameters, mainEnvironment),
            SnapshotAsync(bicep, SubscriptionParameters, subscriptionParameters, mainEnvironment, "subscription.bicep"),
        };
        foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Scenarios"), "*.bicepparam"))
        {
            runs.Add(SnapshotAsync(bicep, Path.GetFileNameWithoutExtension(file), file, clean));
        }

        var built = await build.ConfigureAwait(false);
        buildOutput = built.Output;
        Assert.True(built.ExitCode == 0, $"bicep build infra/main.bicep failed:\n{built.Output}");
        template = new CompiledTemplate(ParseObject(Path.Combine(workDirectory.FullName, "main.json")));

        var builtSubscription = await buildSubscription.ConfigureAwait(false);
        Assert.True(builtSubscription.ExitCode == 0, $"bicep build infra/subscription.bicep failed:\n{builtSubscription.Output}");
        subscriptionTemplate = new CompiledTemplate(ParseObject(Path.Combine(workDirectory.FullName, "subscription.json")));

        var builtParams = await buildParams.ConfigureAwait(false);
        Assert.True(builtParams.ExitCode == 0, $"bicep build-params infra/main.bicepparam failed:\n{builtParams.Output}");
        parameters = ParseObject(Path.Combine(workDirectory.FullName, "main.parameters.json"));

        foreach (var (name, snapshot, output) in await Task.WhenAll(runs).ConfigureAwait(false))
        {
            scenarios[name] = (snapshot, output);
        }
    }

    public ValueTask DisposeAsync()
    {
        workDirectory?.Delete(recursive: true);
        return ValueTask.CompletedTask;
    }

    public static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "BrazeFunctions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"BrazeFunctions.sln was not found above {AppContext.BaseDirectory}.");
    }

    /// <summary>The environment variable each `param x = ...readEnvironmentVariable('NAME'...` line reads.</summary>
    internal static Dictionary<string, string> ReadEnvironmentVariables(string bicepParam) =>
        EnvironmentParameter().Matches(bicepParam).ToDictionary(m => m.Groups["param"].Value, m => m.Groups["variable"].Value, StringComparer.Ordinal);

    private async Task<(string Name, DeploymentSnapshot? Snapshot, string Output)> SnapshotAsync(
        BicepCli bicep, string name, string parametersFile, IReadOnlyDictionary<string, string?> environment, string templateFile = "main.bicep")
    {
        // The snapshot is written beside its parameters file, so the file is copied out of the repository first, its
        // `using` pointed back at infra/main.bicep (Bicep accepts only relative paths there).
        var folder = Directory.CreateDirectory(Path.Combine(workDirectory!.FullName, name)).FullName;
        var relative = Path.GetRelativePath(folder, Path.Combine(RepositoryRoot, "infra", templateFile)).Replace('\\', '/');
        var copy = Path.Combine(folder, $"{name}.bicepparam");
        await File.WriteAllTextAsync(copy, UsingLine().Replace(await File.ReadAllTextAsync(parametersFile).ConfigureAwait(false), $"using '{relative}'", 1)).ConfigureAwait(false);

        // A subscription-scoped entry creates its own resource group: only the resource-group-scoped template gets one here.
        List<string> arguments = ["snapshot", copy, "--mode", "overwrite", "--subscription-id", SubscriptionId, "--location", "westeurope"];
        if (templateFile == "main.bicep")
        {
            arguments.AddRange(["--resource-group", ResourceGroup]);
        }

        var run = await bicep.RunAsync(arguments, folder, environment).ConfigureAwait(false);
        var output = Path.Combine(folder, $"{name}.snapshot.json");
        return run.ExitCode == 0 && File.Exists(output)
            ? (name, new DeploymentSnapshot(await File.ReadAllTextAsync(output).ConfigureAwait(false)), run.Output)
            : (name, null, run.Output);
    }

    private static JsonObject ParseObject(string path) =>
        JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidOperationException($"{path} is not a JSON object.");

    // A parameter's value may span lines (map(filter(split(readEnvironmentVariable(...)...)), but not reach the next param.
    [GeneratedRegex(@"^param\s+(?<param>\w+)\s*=(?:(?!\nparam\s)[\s\S])*?readEnvironmentVariable\('(?<variable>[A-Za-z0-9_]+)'", RegexOptions.Multiline)]
    private static partial Regex EnvironmentParameter();

    [GeneratedRegex(@"^using\s+'[^']+'", RegexOptions.Multiline)]
    private static partial Regex UsingLine();
}

/// <summary>All infrastructure tests share one build of the templates.</summary>
[CollectionDefinition(Name)]
public sealed class InfraCollection : ICollectionFixture<InfraBuild>
{
    public const string Name = "Compiled infrastructure";
}
