using System.Text.RegularExpressions;

namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// Several Braze workspaces (issue 12): brazeWorkspaces and the secure brazeWorkspaceApiKeys become one Key Vault
/// secret and two app settings per workspace, beside the single-workspace form, which stays the workspace "default".
/// </summary>
[Collection(InfraCollection.Name)]
public sealed partial class WorkspaceTemplateTests(InfraBuild build)
{
    // The named workspaces of the two-workspaces-private scenario and their REST endpoints.
    private static readonly (string Name, string Endpoint)[] NamedWorkspaces = [("brandb", "https://rest.iad-05.braze.com"), ("eu", "https://rest.fra-02.braze.eu")];

    [Fact]
    public void AppSettings_TwoWorkspaces_GiveEachItsEndpointAndItsOwnKeyVaultSecret()
    {
        var snapshot = build.Snapshot("two-workspaces-private");
        var settings = snapshot.AppSettings();
        var secrets = snapshot.OfType("Microsoft.KeyVault/vaults/secrets").Select(s => s.Name.Split('/')[^1]).ToList();

        foreach (var (workspace, endpoint) in NamedWorkspaces)
        {
            Assert.Equal(endpoint, settings[$"Braze__Workspaces__{workspace}__RestEndpoint"]);
            Assert.Contains($"braze-api-key-{workspace}", secrets);
            var reference = KeyVaultSecretReference().Match(settings[$"Braze__Workspaces__{workspace}__ApiKey"]);
            Assert.True(reference.Success, settings[$"Braze__Workspaces__{workspace}__ApiKey"]);
            Assert.Equal($"braze-api-key-{workspace}", reference.Groups["secret"].Value);
        }

        // The single-workspace form is still the workspace "default", beside the named ones.
        Assert.Equal("https://rest.iad-03.braze.com", settings["Braze__RestEndpoint"]);
        Assert.Contains("secrets/braze-api-key'", settings["Braze__ApiKey"], StringComparison.Ordinal);
        Assert.Equal(
            ["Braze__ApiKey", "Braze__RestEndpoint", "Braze__Workspaces__brandb__ApiKey", "Braze__Workspaces__brandb__RestEndpoint", "Braze__Workspaces__eu__ApiKey", "Braze__Workspaces__eu__RestEndpoint"],
            settings.Keys.Where(k => k.StartsWith("Braze__", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(["braze-api-key", "braze-api-key-brandb", "braze-api-key-eu"], secrets.Where(s => s.StartsWith("braze-", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AppSettings_WorkspaceNamedDefault_ReplacesTheSingleWorkspaceForm()
    {
        var snapshot = build.Snapshot("workspaces-only");
        var settings = snapshot.AppSettings();

        // The app refuses Braze__ApiKey together with Braze__Workspaces__default__ApiKey, so only the named form is written.
        Assert.DoesNotContain("Braze__ApiKey", settings.Keys);
        Assert.DoesNotContain("Braze__RestEndpoint", settings.Keys);
        Assert.Equal("https://rest.iad-01.braze.com", settings["Braze__Workspaces__default__RestEndpoint"]);
        Assert.Equal("braze-api-key-default", KeyVaultSecretReference().Match(settings["Braze__Workspaces__default__ApiKey"]).Groups["secret"].Value);
        Assert.Equal("braze-api-key-staging", KeyVaultSecretReference().Match(settings["Braze__Workspaces__staging__ApiKey"]).Groups["secret"].Value);
        var secrets = snapshot.OfType("Microsoft.KeyVault/vaults/secrets").Select(s => s.Name.Split('/')[^1]).ToList();
        Assert.DoesNotContain("braze-api-key", secrets);
        Assert.Contains("braze-api-key-default", secrets);
    }

    [Fact]
    public void AppSettings_SingleWorkspaceForm_WritesNoNamedWorkspace()
    {
        var settings = build.Snapshot(InfraBuild.MainParameters).AppSettings();

        Assert.DoesNotContain(settings.Keys, k => k.StartsWith("Braze__Workspaces__", StringComparison.Ordinal));
        Assert.Contains("Braze__ApiKey", settings.Keys);
    }

    [Fact]
    public void Deployment_InvalidWorkspaceNames_IsRefusedNamingEachOne()
    {
        var output = build.RefusedSnapshot("invalid-workspace-names");

        foreach (var name in new[] { "Brand-B", "9lives", "eu_west" })
        {
            Assert.Contains($"workspace name \"{name}\" must match ^[a-z][a-z0-9]{{0,23}}$", output, StringComparison.Ordinal);
        }

        // Keys never appear in the message, only names.
        Assert.DoesNotContain("SECRET-", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Deployment_DefaultWorkspaceGivenTwice_IsRefused()
    {
        var output = build.RefusedSnapshot("default-workspace-twice");

        Assert.Contains("both define the workspace \"default\"; keep one", output, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET-", output, StringComparison.Ordinal);
    }

    [Fact]
    public void WorkspaceApiKeys_CompiledTemplate_AreSecureAndCheckedAgainstTheWorkspaces()
    {
        var parameters = build.Template.Root.Template["parameters"]!;
        // @secure() protects a whole parameter; a key inside an array entry would stay in the deployment history.
        Assert.Equal("secureObject", parameters["brazeWorkspaceApiKeys"]?["type"]?.GetValue<string>());
        Assert.Equal("array", parameters["brazeWorkspaces"]?["type"]?.GetValue<string>());
        Assert.Equal(24, build.Template.Root.Template["definitions"]?["brazeWorkspace"]?["properties"]?["name"]?["maxLength"]?.GetValue<int>());

        // Missing and unknown keys stop the deployment with the workspace names: checked inside the Key Vault module,
        // on every workspace secret, so the check runs whenever a secret is written.
        var secret = Assert.Single(build.Template.OfType("Microsoft.KeyVault/vaults/secrets"), s => s.Json["copy"] is not null);
        var value = secret.Properties?["value"]?.ToString() ?? string.Empty;
        Assert.Contains("fail(format('Invalid Braze workspace keys: {0}.'", value, StringComparison.Ordinal);
        var problems = secret.Scope.Template["variables"]?["workspaceKeyProblems"]?.ToString() ?? string.Empty;
        Assert.Contains("has no key for", problems, StringComparison.Ordinal);
        Assert.Contains("objectKeys(parameters('workspaceApiKeys'))", problems, StringComparison.Ordinal);
    }

    [Fact]
    public void ParametersFile_Source_ShowsTheWorkspaceFormAndReadsTheKeysFromTheEnvironment()
    {
        var source = File.ReadAllText(Path.Combine(build.RepositoryRoot, "infra", "main.bicepparam"));

        Assert.Equal("RELAY_BRAZE_WORKSPACES", build.EnvironmentVariablesByParameter["brazeWorkspaces"]);
        Assert.Equal("RELAY_BRAZE_WORKSPACE_API_KEYS", build.EnvironmentVariablesByParameter["brazeWorkspaceApiKeys"]);
        Assert.Matches(@"//\s+param brazeWorkspaces = \[", source);
        Assert.Matches(@"//\s+\{ name: '[a-z][a-z0-9]*', restEndpoint: 'https://rest\.", source);
        Assert.Empty(build.ParametersFile["parameters"]!["brazeWorkspaces"]!["value"]!.AsArray());
    }

    [GeneratedRegex(@"^\[format\('@Microsoft\.KeyVault\(SecretUri=\{0\}secrets/\{1\}\)', reference\('[^']+/Microsoft\.KeyVault/vaults/[^']+', '[^']+'\)\.vaultUri, '(?<secret>[^']+)'\)\]$")]
    private static partial Regex KeyVaultSecretReference();
}
