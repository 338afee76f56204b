using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BrazeFunctions.Core.Storage;

namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// Checks that the deployment (infra/main.bicep, compiled and snapshotted by <see cref="InfraBuild"/>) and the code
/// agree: runtime, identity, settings, queues, tables, secrets and roles.
/// </summary>
[Collection(InfraCollection.Name)]
public sealed partial class CompiledTemplateTests(InfraBuild build)
{
    private const string KeyVaultReference = "@Microsoft.KeyVault(SecretUri=";

    // Sample settings the template deliberately does not copy, and why.
    private static readonly Dictionary<string, string> NotDeployedOnPurpose = new(StringComparer.Ordinal)
    {
        ["AzureWebJobsStorage"] = "replaced by the identity-based AzureWebJobsStorage__* settings (no connection string, no key)",
        ["FUNCTIONS_WORKER_RUNTIME"] = "Flex Consumption refuses it; the runtime is functionAppConfig.runtime",
        ["Templates__Directory"] = "the deployed app reads the templates/ folder published next to it; the setting only points a local run elsewhere",
        ["Braze__AllowLoopbackHttp"] = "development only: the sample points a local run at the Braze sandbox on 127.0.0.1; in Azure the code's default (false) applies",
    };

    // The settings contract: settings the code reads in Azure, whatever their defaults.
    private static readonly string[] ContractSettings =
    [
        "Outbox__QueueName",
        "Ingress__SharedSecret",
        "Ingress__NextSharedSecret",
        "Ingress__SecretHeader",
        "Braze__RestEndpoint",
        "Braze__ApiKey",
        "AzureWebJobsStorage__tableServiceUri",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    ];

    // Role definition ids (built-in roles, the same in every tenant).
    private static readonly Dictionary<string, string> ExpectedRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Storage Blob Data Owner",
        ["ba92f5b4-2d11-453d-a403-e96b0029c9fe"] = "Storage Blob Data Contributor",
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Storage Queue Data Contributor",
        ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Storage Table Data Contributor",
        ["4633458b-17de-408a-b874-0445c86b69e6"] = "Key Vault Secrets User",
        ["3913510d-42f4-4e42-8a64-420c390055eb"] = "Monitoring Metrics Publisher",
    };

    private static readonly string[] DeployingScenarios = [InfraBuild.MainParameters, "two-workspaces-private", "workspaces-only"];

    [Fact]
    public void Build_MainTemplate_CompilesAndLintsWithoutADiagnostic()
    {
        // bicep build applies infra/bicepconfig.json, where the important linter rules are errors; a warning that
        // slipped through is refused here as well as by infra/build.sh.
        Assert.DoesNotMatch(@"(?i)\b(warning|error)\b", build.BuildOutput);
        Assert.Equal("2.0", build.Template.Root.Template["languageVersion"]?.GetValue<string>());
    }

    [Fact]
    public void FunctionApp_CompiledTemplate_RunsDotnetIsolated10OnFlexConsumption()
    {
        var plan = build.Template.Single("Microsoft.Web/serverfarms");
        var site = build.Template.Single("Microsoft.Web/sites");

        Assert.Equal("FC1", plan.Json["sku"]?["name"]?.GetValue<string>());
        Assert.Equal("FlexConsumption", plan.Json["sku"]?["tier"]?.GetValue<string>());
        Assert.Equal("functionapp,linux", site.Json["kind"]?.GetValue<string>());
        var config = site.Properties?["functionAppConfig"];
        Assert.Equal("dotnet-isolated", config?["runtime"]?["name"]?.GetValue<string>());
        Assert.Equal("10.0", config?["runtime"]?["version"]?.GetValue<string>());
        Assert.Equal("[parameters('maximumInstanceCount')]", config?["scaleAndConcurrency"]?["maximumInstanceCount"]?.ToString());
        Assert.Equal("[parameters('instanceMemoryMB')]", config?["scaleAndConcurrency"]?["instanceMemoryMB"]?.ToString());
    }

    [Fact]
    public void MaximumInstanceCount_Defaults_StayAt20InTheTemplateAndTheParametersFile()
    {
        // The workspace's rate limit, not the instance count, bounds throughput; the reasoning is in main.bicep and
        // docs/deploy.md. Both defaults must say the same, or azd and az deployments scale differently.
        var parameter = build.Template.Root.Template["parameters"]?["maximumInstanceCount"];
        Assert.Equal(20, parameter?["defaultValue"]?.GetValue<int>());
        Assert.Equal(1, parameter?["minValue"]?.GetValue<int>());
        Assert.Equal(20, build.ParametersFile["parameters"]?["maximumInstanceCount"]?["value"]?.GetValue<int>());
        var site = build.Snapshot(InfraBuild.MainParameters).Single("Microsoft.Web/sites");
        Assert.Equal(20, site.Properties?["functionAppConfig"]?["scaleAndConcurrency"]?["maximumInstanceCount"]?.GetValue<int>());
    }

    [Fact]
    public void FunctionApp_CompiledTemplate_IsHttpsOnlyWithoutFtpOrBasicPublishing()
    {
        var site = build.Template.Single("Microsoft.Web/sites");

        Assert.True(site.Properties?["httpsOnly"]?.GetValue<bool>());
        Assert.Equal("Disabled", site.Properties?["siteConfig"]?["ftpsState"]?.GetValue<string>());
        Assert.Equal("1.2", site.Properties?["siteConfig"]?["minTlsVersion"]?.GetValue<string>());
        var policies = build.Snapshot(InfraBuild.MainParameters).OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        Assert.Equal(["ftp", "scm"], policies.Select(p => p.Name.Split('/')[^1]).Order(StringComparer.Ordinal));
        Assert.All(policies, p => Assert.False(p.Properties?["allow"]?.GetValue<bool>(), $"{p.Name} must not allow basic credentials."));
    }

    [Fact]
    public void FunctionApp_CompiledTemplate_UsesTheUserAssignedIdentityEverywhere()
    {
        var site = build.Template.Single("Microsoft.Web/sites");
        const string identity = "[parameters('identityId')]";

        Assert.Equal("UserAssigned", site.Json["identity"]?["type"]?.GetValue<string>());
        Assert.Equal(identity, site.Properties?["keyVaultReferenceIdentity"]?.ToString());
        var deploymentStorage = site.Properties?["functionAppConfig"]?["deployment"]?["storage"];
        Assert.Equal("UserAssignedIdentity", deploymentStorage?["authentication"]?["type"]?.GetValue<string>());
        Assert.Equal(identity, deploymentStorage?["authentication"]?["userAssignedIdentityResourceId"]?.ToString());
        Assert.Contains("'identity'", site.Scope.PassedValue("identityId"), StringComparison.Ordinal);
        Assert.Contains("outputs.id.value", site.Scope.PassedValue("identityId"), StringComparison.Ordinal);
        Assert.Contains("outputs.clientId.value", site.Scope.PassedValue("identityClientId"), StringComparison.Ordinal);
    }

    [Fact]
    public void AppSettings_MainParameters_CoverEverySettingTheCodeNeeds()
    {
        var settings = build.Snapshot(InfraBuild.MainParameters).AppSettings();
        var missing = new List<string>();

        foreach (var (key, sampleValue) in CodeContract.SampleSettings(build.RepositoryRoot))
        {
            // Named workspaces are deployed from brazeWorkspaces; WorkspaceTemplateTests checks their settings.
            if (NotDeployedOnPurpose.ContainsKey(key) || settings.ContainsKey(key) || WorkspaceSetting().IsMatch(key))
            {
                continue;
            }

            // A setting may be left out only when the code's own default is the value the sample documents.
            if (!CodeContract.SampleValueIsCodeDefault(key, sampleValue))
            {
                missing.Add($"{key} (local.settings.sample.json)");
            }
        }

        missing.AddRange(CodeContract.RequiredOptionSettings().Where(k => !settings.ContainsKey(k) && !WorkspaceSetting().IsMatch(k)).Select(k => $"{k} ([Required] without a default)"));
        missing.AddRange(ContractSettings.Where(k => !settings.ContainsKey(k)).Select(k => $"{k} (settings contract)"));

        Assert.True(missing.Count == 0,
            "App settings the code reads are missing from infra/modules/functionapp.bicep: " + string.Join(", ", missing) +
            ". Add them to the app settings, or, for a setting that must stay local, to NotDeployedOnPurpose with the reason.");
    }

    [Fact]
    public void AppSettings_EveryScenario_LeaveTheOutboxTimeToLiveToTheApp()
    {
        // The relay ends every message itself, so Outbox__MessageTimeToLive defaults to "never" in the app; a value
        // written here would bring expiry back without anyone asking for it.
        Assert.All(DeployingScenarios, scenario => Assert.DoesNotContain("Outbox__MessageTimeToLive", build.Snapshot(scenario).AppSettings().Keys));
        Assert.Null(build.Template.Root.Template["parameters"]?.AsObject().FirstOrDefault(p => p.Key.Contains("TimeToLive", StringComparison.OrdinalIgnoreCase)).Value);
    }

    [Fact]
    public void AppSettings_MainParameters_ConnectBlobsQueuesAndTablesWithTheManagedIdentity()
    {
        var settings = build.Snapshot(InfraBuild.MainParameters).AppSettings();
        var connection = new OutboxOptions().Connection;

        Assert.DoesNotContain(connection, settings.Keys);
        Assert.Equal("managedidentity", settings[$"{connection}__credential"]);
        Assert.Matches(@"Microsoft\.ManagedIdentity/userAssignedIdentities/[^']+', '[^']+'\)\.clientId\]$", settings[$"{connection}__clientId"]);
        // QueueServiceClientFactory reads queueServiceUri, the host keeps its keys and leases in blobs, and the app's
        // tables (dedupe<yyyyMMdd>, relaypacing) go through Azure.Data.Tables on tableServiceUri.
        foreach (var service in new[] { "blob", "queue", "table" })
        {
            Assert.Matches($@"^\[reference\('[^']+/Microsoft\.Storage/storageAccounts/[^']+', '[^']+'\)\.primaryEndpoints\.{service}\]$", settings[$"{connection}__{service}ServiceUri"]);
        }

        Assert.Matches(@"^\[format\('ClientId=\{0\};Authorization=AAD', reference\('[^']+/userAssignedIdentities/", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
        Assert.Contains("outputs.tableEndpoint.value", build.Template.Single("Microsoft.Web/sites").Scope.PassedValue("storageTableEndpoint"), StringComparison.Ordinal);
    }

    [Fact]
    public void Tables_EveryScenario_AreLeftToTheAppToCreate()
    {
        // One table per day, dropped whole once it is older than the window: the app owns their lifecycle, the
        // template only declares the table service (for its diagnostic setting).
        Assert.All(DeployingScenarios, scenario =>
        {
            var snapshot = build.Snapshot(scenario);
            Assert.Empty(snapshot.OfType("Microsoft.Storage/storageAccounts/tableServices/tables"));
            Assert.Single(snapshot.OfType("Microsoft.Storage/storageAccounts/tableServices"));
        });
    }

    [Fact]
    public void Queues_MainParameters_MatchTheTriggerAndTheSender()
    {
        var snapshot = build.Snapshot(InfraBuild.MainParameters);
        var settings = snapshot.AppSettings();
        var outbox = new OutboxOptions();

        var queues = snapshot.OfType("Microsoft.Storage/storageAccounts/queueServices/queues").Select(q => q.Name.Split('/')[^1]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal([OutboxOptions.DefaultQueueName, outbox.PoisonQueueName], queues);
        Assert.Equal("braze-outbox", OutboxOptions.DefaultQueueName);
        Assert.Equal("braze-outbox-poison", outbox.PoisonQueueName);
        Assert.Equal(OutboxOptions.DefaultQueueName, settings["Outbox__QueueName"]);

        // Queue triggers name their queue through a setting (%Outbox:QueueName%): it must be deployed and name a queue
        // the template creates, on a connection the template configures.
        foreach (var (setting, connection) in CodeContract.QueueTriggers(build.RepositoryRoot))
        {
            var key = setting.Replace(":", "__", StringComparison.Ordinal);
            Assert.True(settings.ContainsKey(key), $"The queue trigger reads %{setting}% but the app setting {key} is not deployed.");
            Assert.Contains(settings[key], queues);
            Assert.True(settings.ContainsKey($"{connection}__queueServiceUri"), $"The queue trigger's connection '{connection}' has no {connection}__queueServiceUri setting.");
        }
    }

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
    public void BrazeEndpoint_CompiledTemplate_AllowsOnlyBrazeRestHosts()
    {
        var root = build.Template.Root.Template;
        var hosts = root["definitions"]?["brazeRestHost"]?["allowedValues"]?.AsArray().Select(v => v!.GetValue<string>()).ToList() ?? [];

        Assert.Equal(15, hosts.Count);
        Assert.All(hosts, h => Assert.Matches(@"^https://rest\.[a-z]{2,3}-\d{2}\.braze\.(com|eu)$", h));
        Assert.DoesNotContain("https://rest.iad-09.braze.com", hosts);
        Assert.DoesNotContain("https://rest.us-09.braze.com", hosts);
        // The single-workspace endpoint: a host, or empty when the workspace "default" is a named one.
        var single = root["parameters"]?["brazeRestEndpoint"]?["allowedValues"]?.AsArray().Select(v => v!.GetValue<string>()).ToList() ?? [];
        Assert.Equal(hosts.Append(string.Empty).Order(StringComparer.Ordinal), single.Order(StringComparer.Ordinal));
        Assert.Equal("#/definitions/brazeRestHost", root["definitions"]?["brazeWorkspace"]?["properties"]?["restEndpoint"]?["$ref"]?.GetValue<string>());
        Assert.Equal("https://rest.fra-02.braze.eu", build.Snapshot(InfraBuild.MainParameters).AppSettings()["Braze__RestEndpoint"]);
    }

    [Fact]
    public void Storage_CompiledTemplate_RefusesSharedKeysAndPublicBlobs()
    {
        var storage = build.Template.Single("Microsoft.Storage/storageAccounts").Properties;

        Assert.False(storage?["allowSharedKeyAccess"]?.GetValue<bool>());
        Assert.False(storage?["allowBlobPublicAccess"]?.GetValue<bool>());
        Assert.True(storage?["supportsHttpsTrafficOnly"]?.GetValue<bool>());
        Assert.Equal("TLS1_2", storage?["minimumTlsVersion"]?.GetValue<string>());
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

    [Fact]
    public void RoleAssignments_MainParameters_GrantExactlyTheLeastPrivilegeRolesToTheAppIdentity()
    {
        var assignments = build.Snapshot(InfraBuild.MainParameters).OfType("Microsoft.Authorization/roleAssignments").ToList();

        var granted = assignments.Select(a => a.Properties?["roleDefinitionId"]?.ToString().Split('/')[^1]).ToList();
        Assert.Equal(ExpectedRoles.Keys.Order(StringComparer.Ordinal), granted.Order(StringComparer.Ordinal)!);

        foreach (var assignment in assignments)
        {
            // Names are guid(scope, principal, role): a redeployment finds the same assignment.
            Assert.StartsWith("[guid(", assignment.Name, StringComparison.Ordinal);
            Assert.Matches(@"userAssignedIdentities/[^']+', '[^']+'\)\.principalId\]$", assignment.Properties?["principalId"]?.ToString());
            Assert.Equal("ServicePrincipal", assignment.Properties?["principalType"]?.GetValue<string>());
        }

        // The storage roles are granted on the storage account itself (the claim-check's on its container), not on the resource group.
        var storageRoles = assignments.Where(a => ExpectedRoles[a.Properties!["roleDefinitionId"]!.ToString().Split('/')[^1]].StartsWith("Storage", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, storageRoles.Count);
        Assert.All(storageRoles, a => Assert.Contains("/providers/Microsoft.Storage/storageAccounts/", a.Id, StringComparison.Ordinal));
    }

    [Fact]
    public void BodyContainer_MainParameters_IsPrivateAndTheAppGetsItsBlobRoleOnThatContainerAlone()
    {
        var snapshot = build.Snapshot(InfraBuild.MainParameters);
        var container = Assert.Single(snapshot.OfType("Microsoft.Storage/storageAccounts/blobServices/containers"), c => c.Name.EndsWith("/" + OutboxOptions.DefaultBodyContainer, StringComparison.Ordinal));
        var contributor = Assert.Single(snapshot.OfType("Microsoft.Authorization/roleAssignments"),
            a => a.Properties?["roleDefinitionId"]?.ToString().EndsWith("ba92f5b4-2d11-453d-a403-e96b0029c9fe", StringComparison.OrdinalIgnoreCase) == true);

        Assert.Equal("None", container.Properties?["publicAccess"]?.GetValue<string>());
        // Scoped to the container: the assignment is an extension resource of the container, not of the account.
        Assert.StartsWith("[extensionResourceId('", contributor.Id, StringComparison.Ordinal);
        Assert.Contains("/blobServices/default/containers/" + OutboxOptions.DefaultBodyContainer + "', 'Microsoft.Authorization/roleAssignments'", contributor.Id, StringComparison.Ordinal);
    }

    [Fact]
    public void Monitoring_MainParameters_SendsTelemetryToEntraOnlyApplicationInsights()
    {
        var snapshot = build.Snapshot(InfraBuild.MainParameters);
        var component = snapshot.Single("Microsoft.Insights/components");

        Assert.True(component.Properties?["DisableLocalAuth"]?.GetValue<bool>());
        Assert.Contains("Microsoft.OperationalInsights/workspaces/", component.Properties?["WorkspaceResourceId"]?.ToString(), StringComparison.Ordinal);
        Assert.Matches(@"Microsoft\.Insights/components/[^']+', '[^']+'\)\.ConnectionString\]$", snapshot.AppSettings()["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
    }

    internal static List<string> SecureParameters(CompiledTemplate template) =>
        template.Root.Template["parameters"]!.AsObject()
            .Where(p => p.Value?["type"]?.GetValue<string>() is "securestring" or "secureObject")
            .Select(p => p.Key)
            .ToList();

    [GeneratedRegex(@"(ApiKey|Secret|Password|Token|AccountKey|SasToken)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"^Braze__Workspaces__[a-z][a-z0-9]{0,23}__(RestEndpoint|ApiKey)$")]
    private static partial Regex WorkspaceSetting();

    [GeneratedRegex(@"-u\s+(?<name>[A-Z0-9_]+)")]
    private static partial Regex UnsetVariable();
}
