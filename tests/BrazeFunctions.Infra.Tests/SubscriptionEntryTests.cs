using System.Text.Json.Nodes;

namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// infra/subscription.bicep is what azd provisions (azure.yaml): it creates the resource group and deploys
/// infra/main.bicep, which stays resource-group scoped, into it with every parameter passed through.
/// </summary>
[Collection(InfraCollection.Name)]
public sealed class SubscriptionEntryTests(InfraBuild build)
{
    [Fact]
    public void Parameters_SubscriptionEntry_DeclaresEveryMainParameterAlikeAndPassesItThrough()
    {
        var main = build.Template.Root.Template["parameters"]!.AsObject();
        var entry = build.SubscriptionTemplate.Root.Template["parameters"]!.AsObject();
        var relay = Assert.Single(build.SubscriptionTemplate.Root.Template["resources"]!.AsObject(), r => r.Value?["type"]?.GetValue<string>() == "Microsoft.Resources/deployments").Value!;
        var passed = relay["properties"]!["parameters"]!.AsObject();

        Assert.Equal(["resourceGroupName"], entry.Select(p => p.Key).Except(main.Select(p => p.Key)));
        foreach (var (name, declaration) in main)
        {
            // Same type, default, limits, allowed values and @secure(): a value main.bicep refuses is refused up front.
            Assert.True(JsonNode.DeepEquals(declaration, entry[name]), $"Parameter {name} differs: {declaration?.ToJsonString()} vs {entry[name]?.ToJsonString()}");
            Assert.Equal($"[parameters('{name}')]", passed[name]?["value"]?.GetValue<string>());
        }

        Assert.Equal(main.Count, passed.Count);
        // The nested template is main.bicep itself, deployed into the group this entry creates.
        Assert.True(JsonNode.DeepEquals(build.Template.Root.Template["resources"], relay["properties"]!["template"]!["resources"]));
        Assert.Equal("[if(empty(parameters('resourceGroupName')), format('rg-{0}', parameters('environmentName')), parameters('resourceGroupName'))]", relay["resourceGroup"]?.GetValue<string>());
    }

    [Fact]
    public void ResourceGroup_SubscriptionEntry_IsCreatedTaggedForAzdAndHoldsEveryRelayResource()
    {
        var snapshot = build.Snapshot(InfraBuild.SubscriptionParameters);
        var group = snapshot.Single("Microsoft.Resources/resourceGroups");
        var environment = InfraBuild.MainParametersEnvironment["AZURE_ENV_NAME"];

        Assert.Equal($"rg-{environment}", group.Name);
        Assert.Equal("westeurope", group.Json["location"]?.GetValue<string>());
        // azd finds the environment's resource group by this tag.
        Assert.Equal(environment, group.Json["tags"]?["azd-env-name"]?.GetValue<string>());
        var relayResources = snapshot.Resources.Where(r => r != group).ToList();
        // Role assignment ids stay expressions (they name the principal), but they too sit under the group.
        Assert.All(relayResources, r => Assert.Contains($"{group.Id}/", r.Id, StringComparison.OrdinalIgnoreCase));

        // The same resources as main.bicep deployed into a group of its own: one for one, by type.
        var main = build.Snapshot(InfraBuild.MainParameters);
        Assert.Equal(
            main.Resources.GroupBy(r => r.Type).ToDictionary(g => g.Key, g => g.Count()).OrderBy(p => p.Key, StringComparer.Ordinal),
            relayResources.GroupBy(r => r.Type).ToDictionary(g => g.Key, g => g.Count()).OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void Outputs_SubscriptionEntry_AreMainsPlusTheResourceGroup()
    {
        var main = build.Template.Root.Template["outputs"]!.AsObject();
        var entry = build.SubscriptionTemplate.Root.Template["outputs"]!.AsObject();

        Assert.Equal(main.Select(o => o.Key).Append("AZURE_RESOURCE_GROUP").Order(StringComparer.Ordinal), entry.Select(o => o.Key).Order(StringComparer.Ordinal));
        foreach (var (name, _) in main)
        {
            Assert.Contains($".outputs.{name}.value", entry[name]?["value"]?.GetValue<string>(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ParametersFile_SubscriptionEntry_ReadsMainsVariablesPlusTheResourceGroup()
    {
        var main = build.EnvironmentVariablesByParameter;
        var entry = build.SubscriptionEnvironmentVariablesByParameter;

        Assert.Equal("AZURE_RESOURCE_GROUP", entry["resourceGroupName"]);
        Assert.Equal(main.OrderBy(p => p.Key, StringComparer.Ordinal), entry.Where(p => p.Key != "resourceGroupName").OrderBy(p => p.Key, StringComparer.Ordinal));
        // Line for line the same defaults and conversions, apart from the `using` line, the header and the resource group.
        var mainLines = ParameterLines("main.bicepparam");
        var entryLines = ParameterLines("subscription.bicepparam").Where(l => !l.Contains("AZURE_RESOURCE_GROUP", StringComparison.Ordinal));
        Assert.Equal(mainLines, entryLines);
    }

    [Fact]
    public void AzureYaml_Infra_ProvisionsTheSubscriptionEntry()
    {
        var yaml = File.ReadAllLines(Path.Combine(build.RepositoryRoot, "azure.yaml"));

        Assert.Contains("  module: subscription", yaml);
        Assert.Contains("  path: infra", yaml);
        Assert.True(File.Exists(Path.Combine(build.RepositoryRoot, "infra", "subscription.bicepparam")));
        Assert.Equal("https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#", build.SubscriptionTemplate.Root.Template["$schema"]?.GetValue<string>());
    }

    private List<string> ParameterLines(string file) =>
        [.. File.ReadAllLines(Path.Combine(build.RepositoryRoot, "infra", file)).Where(l => l.StartsWith("param ", StringComparison.Ordinal) || l.StartsWith("  ", StringComparison.Ordinal) || l.StartsWith(')'))];
}
