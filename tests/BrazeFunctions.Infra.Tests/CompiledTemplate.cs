using System.Text.Json.Nodes;

namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// The ARM JSON compiled from infra/main.bicep (by <see cref="InfraBuild"/>), read as data: the structure of the
/// template, such as which module receives what and which parameters are secure. Expressions stay strings; values
/// after evaluation are the business of <see cref="DeploymentSnapshot"/>.
/// </summary>
internal sealed class CompiledTemplate
{
    public CompiledTemplate(JsonObject root)
    {
        Root = new ArmScope("main", root, ParameterValues: null);
        var resources = new List<ArmResource>();
        Collect(Root, resources);
        Resources = resources;
    }

    public ArmScope Root { get; }

    /// <summary>Every resource of the template and of its nested (module) deployments.</summary>
    public IReadOnlyList<ArmResource> Resources { get; }

    public IEnumerable<ArmResource> OfType(string type) =>
        Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    public ArmResource Single(string type)
    {
        var matches = OfType(type).ToList();
        Assert.True(matches.Count == 1, $"Expected exactly one '{type}' in the compiled template, found {matches.Count}.");
        return matches[0];
    }

    private static void Collect(ArmScope scope, List<ArmResource> into)
    {
        foreach (var node in EnumerateResources(scope.Template))
        {
            var resource = new ArmResource(node, scope);
            into.Add(resource);
            if (resource.Type == "Microsoft.Resources/deployments" && node["properties"]?["template"] is JsonObject nested)
            {
                Collect(new ArmScope(resource.Name, nested, node["properties"]?["parameters"] as JsonObject), into);
            }
        }
    }

    private static IEnumerable<JsonObject> EnumerateResources(JsonObject template) => template["resources"] switch
    {
        JsonArray array => array.OfType<JsonObject>(),
        // languageVersion 2.0 templates keep resources in an object keyed by symbolic name.
        JsonObject symbolic => symbolic.Select(p => p.Value).OfType<JsonObject>(),
        _ => [],
    };
}

/// <summary>One template (the root or a module's nested template) with the parameter values its parent passes.</summary>
internal sealed record ArmScope(string Name, JsonObject Template, JsonObject? ParameterValues)
{
    /// <summary>The raw expression a module parameter receives from the parent template.</summary>
    public string? PassedValue(string parameterName) => ParameterValues?[parameterName]?["value"]?.ToString();
}

internal sealed record ArmResource(JsonObject Json, ArmScope Scope)
{
    public string Type => Json["type"]?.GetValue<string>() ?? string.Empty;

    public string Name => Json["name"]?.GetValue<string>() ?? string.Empty;

    public JsonNode? Properties => Json["properties"];
}
