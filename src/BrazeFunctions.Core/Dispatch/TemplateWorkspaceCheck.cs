using BrazeFunctions.Core.Braze;
using BrazeFunctions.Core.Templates;
using Microsoft.Extensions.Hosting;

namespace BrazeFunctions.Core.Dispatch;

/// <summary>Stops start-up when a template names a workspace that is not configured, naming the template's file and the workspace.</summary>
internal sealed class TemplateWorkspaceCheck(TemplateCatalog catalog, BrazeWorkspaces workspaces) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var missing = catalog.Templates.Where(t => !workspaces.TryGet(t.Workspace, out _)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                "Templates name Braze workspaces that are not configured: " +
                string.Join("; ", missing.Select(t => $"{t.SourcePath} names workspace '{t.Workspace}'")) +
                $". Configured: {string.Join(", ", workspaces.Names.Order(StringComparer.Ordinal))}. Add Braze__Workspaces__<name>__RestEndpoint and Braze__Workspaces__<name>__ApiKey, or fix the template's front matter.");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
