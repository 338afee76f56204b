namespace BrazeFunctions.Infra.Tests;

/// <summary>The parameter files that deploy the app, which the template tests check one by one.</summary>
internal static class DeploymentScenarios
{
    internal static readonly string[] DeployingScenarios = [InfraBuild.MainParameters, "two-workspaces-private", "workspaces-only"];
}
