using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Dispatch;

/// <summary>Start-up stops when a template names a workspace that is not configured, and says which file and which workspaces.</summary>
public sealed class TemplateWorkspaceCheckTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("workspace-check-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task StartAsync_EveryTemplateNamesAConfiguredWorkspace_Starts()
    {
        Write("to-default", workspace: null);
        Write("to-eu", workspace: "eu");

        await Check(("default", "https://rest.iad-01.braze.com"), ("eu", "https://rest.fra-02.braze.eu")).StartAsync(default);
    }

    [Fact]
    public async Task StartAsync_TemplateNamesAnUnconfiguredWorkspace_ThrowsNamingTheFileTheWorkspaceAndTheConfiguredOnes()
    {
        Write("to-default", workspace: null);
        Write("to-staging", workspace: "staging");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Check(("default", "https://rest.iad-01.braze.com"), ("eu", "https://rest.fra-02.braze.eu")).StartAsync(default));

        Assert.Contains($"{Path.Combine(_directory, "to-staging.liquid")} names workspace 'staging'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("to-default", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Configured: default, eu.", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Braze__Workspaces__<name>__RestEndpoint", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_TemplateNamesDefaultButOnlyNamedWorkspacesAreConfigured_Throws()
    {
        Write("to-default", workspace: null);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Check(("eu", "https://rest.fra-02.braze.eu")).StartAsync(default));

        Assert.Contains("names workspace 'default'", ex.Message, StringComparison.Ordinal);
    }

    private TemplateWorkspaceCheck Check(params (string Name, string Endpoint)[] configured)
    {
        var settings = new Dictionary<string, string?>();
        foreach (var (name, endpoint) in configured)
        {
            settings[$"Braze:Workspaces:{name}:RestEndpoint"] = endpoint;
            settings[$"Braze:Workspaces:{name}:ApiKey"] = "key-" + name;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddOptions<BrazeOptions>().Bind(configuration.GetSection(BrazeOptions.Section));
        var braze = services.BuildServiceProvider().GetRequiredService<IOptions<BrazeOptions>>();
        var catalog = new TemplateCatalog(Options.Create(new TemplateCatalogOptions { Directory = _directory }), NullLogger<TemplateCatalog>.Instance);
        return new TemplateWorkspaceCheck(catalog, new BrazeWorkspaces(braze));
    }

    private void Write(string route, string? workspace) =>
        File.WriteAllText(
            Path.Combine(_directory, route + ".liquid"),
            "---\nendpoint: /users/track\ndescription: d\n" + (workspace is null ? string.Empty : $"workspace: {workspace}\n") + "---\n{\"attributes\":[{\"external_id\":\"{{ id }}\"}]}");
}
