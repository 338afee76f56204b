using BrazeFunctions.Core.Braze;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Cli;

/// <summary>
/// The Braze workspaces a local.settings.json configures, read the way the app reads them: its <c>Values</c>, with the
/// legacy <c>Braze__RestEndpoint</c> / <c>Braze__ApiKey</c> as the workspace <c>default</c> and
/// <c>Braze__Workspaces__&lt;name&gt;__*</c> for the others, checked by the app's own validator. Keys are never reported.
/// </summary>
internal sealed class WorkspaceSettings
{
    private WorkspaceSettings(string file, BrazeWorkspaces workspaces, IReadOnlyList<string> problems)
    {
        File = file;
        Workspaces = workspaces;
        Problems = problems;
    }

    /// <summary>The settings file, as given.</summary>
    public string File { get; }

    /// <summary>The complete workspaces (an endpoint and a key each); an incomplete one is missing here and named in <see cref="Problems"/>.</summary>
    public BrazeWorkspaces Workspaces { get; }

    /// <summary>What would stop the app at start-up in the <c>Braze</c> section (bad endpoints, missing keys, bad names).</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Configured workspace names, for messages.</summary>
    public string Configured => Workspaces.Names.Count == 0 ? "none" : string.Join(", ", Workspaces.Names.Order(StringComparer.Ordinal));

    /// <exception cref="CliSettingsException">The file cannot be read, is not a local.settings.json, or a Braze value cannot be bound.</exception>
    public static WorkspaceSettings Read(string file, string workingDirectory)
    {
        var values = CliServices.ReadValues(Path.GetFullPath(file, workingDirectory));
        var options = new BrazeOptions();
        try
        {
            new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection(BrazeOptions.Section).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the setting and the target type, never the value.
            throw new CliSettingsException($"{file}: {ex.Message}");
        }

        var validation = new BrazeOptionsValidator().Validate(null, options);
        return new WorkspaceSettings(file, new BrazeWorkspaces(Options.Create(options)), validation.Failed ? [.. validation.Failures] : []);
    }
}
