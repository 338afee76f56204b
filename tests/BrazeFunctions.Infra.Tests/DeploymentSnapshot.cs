using System.Text.Json.Nodes;

namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// What `bicep snapshot` predicts a deployment of infra/main.bicep with one parameters file creates: every resource,
/// modules expanded, loops and conditions over plain parameters evaluated. Values ARM only knows during the deployment
/// (reference(), secure parameters) stay expressions, so a secret value can never appear here.
/// </summary>
internal sealed class DeploymentSnapshot
{
    public DeploymentSnapshot(string text)
    {
        Text = text;
        var root = JsonNode.Parse(text)?.AsObject() ?? throw new InvalidOperationException("The snapshot is not a JSON object.");
        Resources = (root["predictedResources"]?.AsArray() ?? []).OfType<JsonObject>().Select(r => new SnapshotResource(r)).ToList();
        Diagnostics = (root["diagnostics"]?.AsArray() ?? []).Select(d => d?.ToString() ?? string.Empty).ToList();
    }

    /// <summary>The snapshot file as written, for searches over everything it contains.</summary>
    public string Text { get; }

    public IReadOnlyList<SnapshotResource> Resources { get; }

    public IReadOnlyList<string> Diagnostics { get; }

    public IEnumerable<SnapshotResource> OfType(string type) =>
        Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    public SnapshotResource Single(string type)
    {
        var matches = OfType(type).ToList();
        Assert.True(matches.Count == 1, $"Expected exactly one '{type}' in the snapshot, found {matches.Count}.");
        return matches[0];
    }

    /// <summary>The Function App's app settings by name; their values as the snapshot shows them (literal or expression).</summary>
    public IReadOnlyDictionary<string, string> AppSettings()
    {
        var settings = Single("Microsoft.Web/sites").Properties?["siteConfig"]?["appSettings"];
        var shown = settings?.ToString() ?? "nothing";
        Assert.True(settings is JsonArray,
            $"The app settings did not expand to a list ({shown[..Math.Min(200, shown.Length)]}...): a condition or loop over a " +
            "secure parameter or a deployment-time value hides every setting from What-If and from these tests.");
        var pairs = settings.AsArray().OfType<JsonObject>().Select(s => (Name: s["name"]!.GetValue<string>(), Value: s["value"]?.ToString() ?? string.Empty)).ToList();
        var duplicates = pairs.GroupBy(p => p.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, $"App settings written twice: {string.Join(", ", duplicates)}.");
        return pairs.ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
    }

    /// <summary>The diagnostic setting whose id places it on the resource path ending in <paramref name="scopeSuffix"/>.</summary>
    public SnapshotResource DiagnosticSettingOn(string scopeSuffix)
    {
        var matches = OfType("Microsoft.Insights/diagnosticSettings")
            .Where(d => d.Id.Contains($"{scopeSuffix}/providers/Microsoft.Insights/diagnosticSettings/", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.True(matches.Count == 1, $"Expected one diagnostic setting on '{scopeSuffix}', found {matches.Count}.");
        return matches[0];
    }
}

internal sealed record SnapshotResource(JsonObject Json)
{
    public string Type => Json["type"]?.GetValue<string>() ?? string.Empty;

    public string Name => Json["name"]?.GetValue<string>() ?? string.Empty;

    public string Id => Json["id"]?.GetValue<string>() ?? string.Empty;

    /// <summary>The resource's condition when it is deployed only sometimes and the snapshot cannot decide.</summary>
    public string? Condition => Json["condition"]?.ToString();

    public JsonNode? Properties => Json["properties"];
}
