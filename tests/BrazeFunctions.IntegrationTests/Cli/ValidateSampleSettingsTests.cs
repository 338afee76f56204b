using BrazeFunctions.Cli;
using BrazeFunctions.IntegrationTests.Infrastructure;

namespace BrazeFunctions.IntegrationTests.Cli;

/// <summary>
/// <c>validate --settings</c> on the repository as shipped: the templates the app loads work with the sample settings, and
/// the cross-workspace example under templates/examples/ says which workspace it needs.
/// </summary>
public sealed class ValidateSampleSettingsTests
{
    private static readonly string Sample = Path.Combine(RepositoryRoot.Path, "local.settings.sample.json");

    [Fact]
    public async Task Validate_ShippedTemplatesWithTheSampleSettings_ExitsZero()
    {
        var (exit, output, errors) = await Run("validate", "--templates", Path.Combine(RepositoryRoot.Path, "templates"), "--settings", Sample);

        Assert.Equal(0, exit);
        Assert.Empty(errors);
        Assert.Contains("8 templates valid", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ExamplesWithTheSampleSettings_NamesTheTemplateAndTheWorkspaceItNeeds()
    {
        var examples = Path.Combine(RepositoryRoot.Path, "templates", "examples");

        var (exit, _, errors) = await Run("validate", "--templates", examples, "--settings", Sample);

        Assert.Equal(2, exit);
        Assert.Contains(
            $"{Path.Combine(examples, "sync-attribute-to-workspace.liquid")}: error: route sync-attribute-to-workspace: workspace 'brandb' is not configured in {Sample} (configured: default)",
            errors,
            StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Errors)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exit = await CliApp.RunAsync(args, new CliConsole(new StringReader(string.Empty), output, errors, RepositoryRoot.Path));
        return (exit, output.ToString(), errors.ToString());
    }
}
