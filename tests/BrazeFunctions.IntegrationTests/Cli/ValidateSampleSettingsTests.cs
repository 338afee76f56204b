using BrazeFunctions.Cli;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Cli;

/// <summary>
/// <c>validate --settings</c> on the repository as shipped: the templates the app loads work with the sample settings, and
/// the cross-workspace example under templates/examples/ says which workspace it needs.
/// </summary>
public sealed class ValidateSampleSettingsTests : IDisposable
{
    private static readonly string Sample = Path.Combine(RepositoryRoot.Path, "local.settings.sample.json");
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public void Dispose()
    {
        _out.Dispose();
        _error.Dispose();
    }

    [Fact]
    public async Task Validate_ShippedTemplatesWithTheSampleSettings_ExitsZero()
    {
        var exit = await Run("validate", "--templates", Path.Combine(RepositoryRoot.Path, "templates"), "--settings", Sample);

        Assert.Equal(0, exit);
        Assert.Empty(_error.ToString());
        Assert.Contains("6 templates valid", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ExamplesWithTheSampleSettings_NamesTheTemplateAndTheWorkspaceItNeeds()
    {
        var examples = Path.Combine(RepositoryRoot.Path, "templates", "examples");

        var exit = await Run("validate", "--templates", examples, "--settings", Sample);

        Assert.Equal(2, exit);
        Assert.Contains(
            $"{Path.Combine(examples, "sync-attribute-to-workspace.liquid")}: error: route sync-attribute-to-workspace: workspace 'brandb' is not configured in {Sample} (configured: default)",
            _error.ToString(),
            StringComparison.Ordinal);
    }

    private Task<int> Run(params string[] args) =>
        CliApp.RunAsync(args, new CliConsole(new StringReader(string.Empty), _out, _error, RepositoryRoot.Path));
}
