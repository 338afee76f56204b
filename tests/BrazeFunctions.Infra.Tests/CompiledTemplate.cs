using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// The ARM JSON compiled from infra/main.bicep (by <see cref="InfraBuild"/>), read as data. Expressions stay strings;
/// the only thing followed is a whole-value <c>[parameters('x')]</c> or <c>[variables('x')]</c> reference, so a test
/// can see the structure of the template: which module receives what, which parameters are secure. Values after
/// evaluation are the business of <see cref="DeploymentSnapshot"/>.
/// </summary>
internal sealed partial class CompiledTemplate
{
    public CompiledTemplate(string repositoryRoot, JsonObject root)
    {
        RepositoryRoot = repositoryRoot;
        Root = new ArmScope("main", root, ParameterValues: null, Parent: null);
        var resources = new List<ArmResource>();
        Collect(Root, resources);
        Resources = resources;
    }

    public string RepositoryRoot { get; }

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
                var values = node["properties"]?["parameters"] as JsonObject;
                Collect(new ArmScope(resource.Name, nested, values, scope), into);
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

    [GeneratedRegex(@"^\[parameters\('(?<name>[^']+)'\)\]$")]
    internal static partial Regex WholeParameter();

    [GeneratedRegex(@"^\[variables\('(?<name>[^']+)'\)\]$")]
    internal static partial Regex WholeVariable();

    [GeneratedRegex(@"variables\('(?<name>[^']+)'\)")]
    internal static partial Regex AnyVariable();

    [GeneratedRegex(@"parameters\('(?<name>[^']+)'\)\)\]$")]
    internal static partial Regex TrailingParameter();
}

/// <summary>One template (the root or a module's nested template) with the parameter values its parent passes.</summary>
internal sealed record ArmScope(string Name, JsonObject Template, JsonObject? ParameterValues, ArmScope? Parent)
{
    /// <summary>
    /// The literal a value ends up as when it is a literal or a chain of whole parameter/variable references;
    /// null for anything computed (a function call other than those references).
    /// </summary>
    public string? ResolveLiteral(JsonNode? node)
    {
        if (node is not JsonValue value || !value.TryGetValue<string>(out var text))
        {
            return node is JsonValue other ? other.ToJsonString() : null;
        }

        if (!text.StartsWith('[') || text.StartsWith("[[", StringComparison.Ordinal))
        {
            return text.StartsWith("[[", StringComparison.Ordinal) ? text[1..] : text;
        }

        var parameter = CompiledTemplate.WholeParameter().Match(text);
        if (parameter.Success)
        {
            var name = parameter.Groups["name"].Value;
            if (ParameterValues?[name] is JsonObject passed)
            {
                return Parent?.ResolveLiteral(passed["value"]);
            }

            return ResolveLiteral(Template["parameters"]?[name]?["defaultValue"]);
        }

        var variable = CompiledTemplate.WholeVariable().Match(text);
        return variable.Success ? ResolveLiteral(Template["variables"]?[variable.Groups["name"].Value]) : null;
    }

    /// <summary>The raw expression a module parameter receives from the parent template.</summary>
    public string? PassedValue(string parameterName) => ParameterValues?[parameterName]?["value"]?.ToString();
}

internal sealed record ArmResource(JsonObject Json, ArmScope Scope)
{
    public string Type => Json["type"]?.GetValue<string>() ?? string.Empty;

    public string Name => Json["name"]?.GetValue<string>() ?? string.Empty;

    public JsonNode? Properties => Json["properties"];
}
