using BrazeFunctions.Core.Dispatch;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BrazeFunctions.Tests.Dispatch;

/// <summary>The workspace each route sends to now, read from the templates only when a replay asks.</summary>
public sealed class RouteWorkspacesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("route-workspaces-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Of_RouteWithATemplate_IsTheWorkspaceItsFrontMatterNamesOrDefault()
    {
        Write("to-eu", "workspace: eu\n");
        Write("to-default", string.Empty);

        var workspaces = new RouteWorkspaces(Services(_directory));

        Assert.Equal("eu", workspaces.Of("to-eu"));
        Assert.Equal("default", workspaces.Of("to-default"));
    }

    [Fact]
    public void Of_RouteWithoutATemplate_IsNull()
    {
        Write("to-eu", "workspace: eu\n");

        Assert.Null(new RouteWorkspaces(Services(_directory)).Of("gone"));
    }

    [Fact]
    public void Of_TemplatesMissing_FailsOnlyWhenAskedNotWhenBuilt()
    {
        var missing = Path.Combine(_directory, "missing");
        var services = Services(missing);

        // Listing dead letters builds this without templates; only a replay asks for a workspace.
        var workspaces = new RouteWorkspaces(services);

        Assert.Throws<TemplateCatalogException>(() => workspaces.Of("to-eu"));
    }

    private static ServiceProvider Services(string directory)
    {
        var services = new ServiceCollection();
        services.AddSingleton(_ => new TemplateCatalog(Options.Create(new TemplateCatalogOptions { Directory = directory }), NullLogger<TemplateCatalog>.Instance));
        return services.BuildServiceProvider();
    }

    private void Write(string route, string frontMatter) =>
        File.WriteAllText(
            Path.Combine(_directory, route + ".liquid"),
            "---\nendpoint: /users/track\ndescription: d\n" + frontMatter + "---\n{\"attributes\":[{\"external_id\":\"{{ id }}\"}]}");
}
