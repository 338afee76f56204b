using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static BrazeFunctions.Infra.Tests.DeploymentScenarios;

namespace BrazeFunctions.Infra.Tests;

/// <summary>Secrets in the deployment: they reach only Key Vault, are referenced from it, and never sit in a parameters file.</summary>
[Collection(InfraCollection.Name)]
public sealed partial class SecretTemplateTests(InfraBuild build)
{
    private const string KeyVaultReference = "@Microsoft.KeyVault(SecretUri=";

    [Fact]
    public void Secrets_EveryScenario_OnlyReachKeyVaultAndAreReferencedFromIt()
    {
        var text = build.Template.Root.Template.ToJsonString();
        foreach (var forbidden in new[] { "AccountKey=", "listKeys(", "SharedAccessSignature=", "DefaultEndpointsProtocol=" })
        {
            Assert.DoesNotContain(forbidden, text, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var scenario in DeployingScenarios)
        {
            var snapshot = build.Snapshot(scenario);
            // Every scenario gives its secrets as SECRET-* values; none may appear anywhere in what is deployed.
            Assert.DoesNotContain("SECRET-", snapshot.Text, StringComparison.Ordinal);
            foreach (var (name, value) in snapshot.AppSettings().Where(s => SecretName().IsMatch(s.Key)))
            {
                // An optional secret that was not given is an empty setting: the check it feeds is off.
                Assert.True(value.Contains(KeyVaultReference, StringComparison.Ordinal) || (value.Length == 0 && name.StartsWith("Ingress__", StringComparison.Ordinal)),
                    $"{scenario}: {name} must be a Key Vault reference, is '{value}'.");
            }
        }
    }

    [Fact]
    public void IngressSecrets_TwoWorkspacesPrivate_AcceptACurrentAndANextSecretFromKeyVault()
    {
        var snapshot = build.Snapshot("two-workspaces-private");
        var settings = snapshot.AppSettings();

        // Both settings are always written: an empty value is how IngressOptions spells "no secret", so a redeployment
        // without one switches the check off visibly instead of leaving a stale reference.
        foreach (var (setting, secret, uri) in new[]
        {
            ("Ingress__SharedSecret", "ingress-shared-secret", "ingressSecretUri"),
            ("Ingress__NextSharedSecret", "ingress-next-shared-secret", "ingressNextSecretUri"),
        })
        {
            Assert.Matches($@"^\[if\(empty\(.*'{secret}'.*\), '', format\('@Microsoft\.KeyVault\(SecretUri=\{{0\}}\)', parameters\('{uri}'\)\)\)\]$", settings[setting]);
            var stored = Assert.Single(snapshot.OfType("Microsoft.KeyVault/vaults/secrets"), s => s.Name.EndsWith($"/{secret}", StringComparison.Ordinal));
            Assert.NotNull(stored.Condition);
        }

        var next = build.Template.Root.Template["parameters"]?["ingressNextSharedSecret"];
        Assert.Equal("securestring", next?["type"]?.GetValue<string>());
        Assert.Equal(string.Empty, next?["defaultValue"]?.GetValue<string>());
    }

    [Fact]
    public void SecureParameters_CompiledTemplate_ReachOnlyKeyVault()
    {
        var template = build.Template;
        var secure = SecureParameters(template);
        Assert.Equal(["brazeApiKey", "brazeWorkspaceApiKeys", "ingressNextSharedSecret", "ingressSharedSecret"], secure.Order(StringComparer.Ordinal));

        var variables = template.Root.Template["variables"]?.AsObject() ?? [];
        var tainted = secure.Select(s => $"parameters('{s}')")
            .Concat(variables.Where(v => secure.Any(s => v.Value?.ToString().Contains($"parameters('{s}')", StringComparison.Ordinal) == true)).Select(v => $"variables('{v.Key}')"))
            .ToList();

        foreach (var module in template.OfType("Microsoft.Resources/deployments").Where(d => d.Scope == template.Root))
        {
            var passed = module.Properties?["parameters"]?.AsObject() ?? [];
            foreach (var (name, value) in passed)
            {
                // A value is {"value": ...}, or one expression that builds it (a conditional module's output).
                var expression = (value as JsonObject)?["value"]?.ToString() ?? value?.ToString() ?? string.Empty;
                if (tainted.Any(t => expression.Contains(t, StringComparison.Ordinal)))
                {
                    Assert.Equal("keyvault", module.Name);
                    var declared = module.Properties?["template"]?["parameters"]?[name]?["type"]?.GetValue<string>();
                    Assert.True(declared is "securestring" or "secureObject" || expression.StartsWith("[not(empty(", StringComparison.Ordinal),
                        $"Module parameter keyvault.{name} receives a secret but is not @secure().");
                }
            }
        }

        Assert.All(template.Root.Template["outputs"]!.AsObject(), o => Assert.DoesNotContain(tainted, t => o.Value!.ToJsonString().Contains(t, StringComparison.Ordinal)));
    }

    [Fact]
    public void ParametersFile_Built_CarriesNoSecretValue()
    {
        var values = build.ParametersFile["parameters"]?.AsObject();
        Assert.NotNull(values);
        var secure = SecureParameters(build.Template);
        Assert.NotEmpty(secure);
        // Built without the secret environment variables, as infra/build.sh does it: whatever the shell held, no
        // secret reaches build output.
        Assert.All(secure, name => Assert.True(
            values[name]?["value"] is JsonValue v && v.GetValue<string>() == string.Empty || values[name]?["value"] is JsonObject { Count: 0 },
            $"{name} is not empty in main.parameters.json."));
    }

    [Fact]
    public void ParametersFile_WithoutEnvironment_UsesTheTemplateDefaults()
    {
        // main.bicepparam repeats each default in its readEnvironmentVariable() fallback; the two must not drift apart,
        // or azd and a plain template deployment behave differently.
        var declared = build.Template.Root.Template["parameters"]!.AsObject();
        var values = build.ParametersFile["parameters"]!.AsObject();
        var compared = 0;
        foreach (var (name, value) in values)
        {
            var fallback = declared[name]?["defaultValue"];
            if (fallback is null)
            {
                continue; // environmentName and location: required by the template, defaulted by the parameters file only
            }

            Assert.True(JsonNode.DeepEquals(fallback, value?["value"]), $"{name}: main.bicepparam falls back to {value?["value"]?.ToJsonString()}, main.bicep to {fallback.ToJsonString()}.");
            compared++;
        }

        Assert.True(compared >= 15, $"Only {compared} parameters compared.");
    }

    [Fact]
    public void BuildScript_UnsetsEverySecretEnvironmentVariableOfTheParametersFile()
    {
        var script = File.ReadAllText(Path.Combine(build.RepositoryRoot, "infra", "build.sh"));
        var unset = UnsetVariable().Matches(script).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);
        var secretVariables = SecureParameters(build.Template)
            .Select(p => build.EnvironmentVariablesByParameter.TryGetValue(p, out var variable) ? variable : $"(no variable for {p})")
            .ToList();

        Assert.Equal(4, secretVariables.Count);
        Assert.Subset(unset, secretVariables.ToHashSet(StringComparer.Ordinal));
    }

    [Fact]
    public void KeyVault_MainParameters_UsesRbacWithSoftDeleteAndHoldsTheSingleWorkspaceKey()
    {
        var snapshot = build.Snapshot(InfraBuild.MainParameters);
        var vault = snapshot.Single("Microsoft.KeyVault/vaults");

        Assert.True(vault.Properties?["enableRbacAuthorization"]?.GetValue<bool>());
        Assert.True(vault.Properties?["enableSoftDelete"]?.GetValue<bool>());
        Assert.True(vault.Properties?["enablePurgeProtection"]?.GetValue<bool>());
        var secrets = snapshot.OfType("Microsoft.KeyVault/vaults/secrets").ToList();
        Assert.Contains(secrets, s => s.Name.EndsWith("/braze-api-key", StringComparison.Ordinal) && s.Condition is null);
        Assert.Contains(secrets, s => s.Name.EndsWith("/ingress-shared-secret", StringComparison.Ordinal));
        Assert.Contains("secrets/braze-api-key'", snapshot.AppSettings()["Braze__ApiKey"], StringComparison.Ordinal);
    }

    internal static List<string> SecureParameters(CompiledTemplate template) =>
        template.Root.Template["parameters"]!.AsObject()
            .Where(p => p.Value?["type"]?.GetValue<string>() is "securestring" or "secureObject")
            .Select(p => p.Key)
            .ToList();

    [GeneratedRegex(@"(ApiKey|Secret|Password|Token|AccountKey|SasToken)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"-u\s+(?<name>[A-Z0-9_]+)")]
    private static partial Regex UnsetVariable();
}
