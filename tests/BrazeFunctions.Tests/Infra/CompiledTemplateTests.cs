using System.ComponentModel.DataAnnotations;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BrazeFunctions.Core.Diagnostics;
using BrazeFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace BrazeFunctions.Tests.Infra;

/// <summary>
/// Checks that the deployment (infra/main.bicep compiled by infra/build.sh) and the code agree: settings, queues,
/// runtime, secrets, roles and the names the monitoring queries use.
/// </summary>
public sealed partial class CompiledTemplateTests
{
    private const string KeyVaultReferenceFormat = "@Microsoft.KeyVault(SecretUri={0})";

    // Sample settings the template deliberately does not copy, and why.
    private static readonly Dictionary<string, string> NotDeployedOnPurpose = new(StringComparer.Ordinal)
    {
        ["AzureWebJobsStorage"] = "replaced by the identity-based AzureWebJobsStorage__* settings (no connection string, no key)",
        ["FUNCTIONS_WORKER_RUNTIME"] = "Flex Consumption refuses it; the runtime is functionAppConfig.runtime",
    };

    // The contract of common.md: settings the code reads in Azure, whatever their defaults.
    private static readonly string[] ContractSettings =
    [
        "Outbox__QueueName",
        "Ingress__SharedSecret",
        "Ingress__SecretHeader",
        "Braze__RestEndpoint",
        "Braze__ApiKey",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
    ];

    // Instrument names and tags of meter BrazeFunctions.Relay as common.md fixes them.
    private static readonly HashSet<string> ContractInstruments = new(StringComparer.Ordinal)
    {
        "relay.webhooks.received", "relay.webhooks.rejected", "relay.deliveries.delivered", "relay.deliveries.rate_limited",
        "relay.deliveries.deferred", "relay.deliveries.retried", "relay.deliveries.dead_lettered", "relay.deliveries.aborted",
        "relay.braze.partial_errors", "relay.braze.request.duration", "relay.delivery.age",
    };

    private static readonly HashSet<string> ContractTags = new(StringComparer.Ordinal) { "route", "status", "endpoint", "reason", "type" };

    // Role definition ids (built-in roles, the same in every tenant).
    private static readonly Dictionary<string, string> ExpectedRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Storage Blob Data Owner",
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Storage Queue Data Contributor",
        ["4633458b-17de-408a-b874-0445c86b69e6"] = "Key Vault Secrets User",
        ["3913510d-42f4-4e42-8a64-420c390055eb"] = "Monitoring Metrics Publisher",
    };

    [Fact]
    public void FunctionApp_CompiledTemplate_RunsDotnetIsolated10OnFlexConsumption()
    {
        var template = CompiledTemplate.Load();
        var plan = template.Single("Microsoft.Web/serverfarms");
        var site = template.Single("Microsoft.Web/sites");

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
    public void FunctionApp_CompiledTemplate_IsHttpsOnlyWithoutFtpOrBasicPublishing()
    {
        var template = CompiledTemplate.Load();
        var site = template.Single("Microsoft.Web/sites");

        Assert.True(site.Properties?["httpsOnly"]?.GetValue<bool>());
        Assert.Equal("Disabled", site.Properties?["siteConfig"]?["ftpsState"]?.GetValue<string>());
        Assert.Equal("1.2", site.Properties?["siteConfig"]?["minTlsVersion"]?.GetValue<string>());
        var policies = template.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        // Names read "[format('{0}/{1}', parameters('name'), 'ftp')]": the policy is the last quoted literal.
        var names = policies.Select(p => p.Name.Split('\'').Reverse().Skip(1).FirstOrDefault()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["ftp", "scm"], names);
        Assert.All(policies, p => Assert.False(p.Properties?["allow"]?.GetValue<bool>(), $"{p.Name} must not allow basic credentials."));
    }

    [Fact]
    public void FunctionApp_CompiledTemplate_UsesTheUserAssignedIdentityEverywhere()
    {
        var template = CompiledTemplate.Load();
        var site = template.Single("Microsoft.Web/sites");
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
    public void AppSettings_CompiledTemplate_CoverEverySettingTheCodeNeeds()
    {
        var template = CompiledTemplate.Load();
        var settings = AppSettings(template);
        var missing = new List<string>();

        foreach (var (key, sampleValue) in SampleSettings(template.RepositoryRoot))
        {
            if (NotDeployedOnPurpose.ContainsKey(key) || settings.ContainsKey(key))
            {
                continue;
            }

            // A setting may be left out only when the code's own default is the value the sample documents.
            if (!SampleValueIsCodeDefault(key, sampleValue))
            {
                missing.Add($"{key} (local.settings.sample.json)");
            }
        }

        missing.AddRange(RequiredOptionSettings().Where(k => !settings.ContainsKey(k)).Select(k => $"{k} ([Required] without a default)"));
        missing.AddRange(ContractSettings.Where(k => !settings.ContainsKey(k)).Select(k => $"{k} (settings contract)"));

        Assert.True(missing.Count == 0,
            "App settings the code reads are missing from infra/modules/functionapp.bicep: " + string.Join(", ", missing) +
            ". Add them to the app settings, or, for a setting that must stay local, to NotDeployedOnPurpose with the reason.");
    }

    [Fact]
    public void AppSettings_CompiledTemplate_ConnectTheOutboxStorageWithTheManagedIdentity()
    {
        var template = CompiledTemplate.Load();
        var settings = AppSettings(template);
        var connection = new OutboxOptions().Connection;

        Assert.DoesNotContain(connection, settings.Keys);
        Assert.Equal("managedidentity", Literal(settings, $"{connection}__credential"));
        Assert.Equal("[parameters('identityClientId')]", settings[$"{connection}__clientId"]?.ToString());
        // QueueServiceClientFactory reads queueServiceUri; the host keeps its keys and leases in blobs.
        Assert.Contains("outputs.queueEndpoint.value", PassedFor(settings, $"{connection}__queueServiceUri"), StringComparison.Ordinal);
        Assert.Contains("outputs.blobEndpoint.value", PassedFor(settings, $"{connection}__blobServiceUri"), StringComparison.Ordinal);
        Assert.Equal("[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]?.ToString());
    }

    [Fact]
    public void Queues_CompiledTemplate_MatchTheTriggerAndTheSender()
    {
        var template = CompiledTemplate.Load();
        var settings = AppSettings(template);
        var outbox = new OutboxOptions();

        var queues = template.OfType("Microsoft.Storage/storageAccounts/queueServices/queues")
            .Select(q => q.Scope.ResolveLiteral(JsonValue.Create($"[parameters('{CompiledTemplate.TrailingParameter().Match(q.Name).Groups["name"].Value}')]")))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal([OutboxOptions.DefaultQueueName, outbox.PoisonQueueName], queues);
        Assert.Equal("braze-outbox", OutboxOptions.DefaultQueueName);
        Assert.Equal("braze-outbox-poison", outbox.PoisonQueueName);

        var site = template.Single("Microsoft.Web/sites");
        Assert.Equal(OutboxOptions.DefaultQueueName, site.Scope.ResolveLiteral(settings["Outbox__QueueName"]));

        // Queue triggers name their queue through a setting (%Outbox:QueueName%): it must be deployed and name a queue
        // the template creates, on a connection the template configures.
        foreach (var (setting, connection) in QueueTriggers(template.RepositoryRoot))
        {
            var key = setting.Replace(":", "__", StringComparison.Ordinal);
            Assert.True(settings.ContainsKey(key), $"The queue trigger reads %{setting}% but the app setting {key} is not deployed.");
            Assert.Contains(site.Scope.ResolveLiteral(settings[key]), queues);
            Assert.True(settings.ContainsKey($"{connection}__queueServiceUri"), $"The queue trigger's connection '{connection}' has no {connection}__queueServiceUri setting.");
        }
    }

    [Fact]
    public void AppSettings_CompiledTemplate_HoldNoStorageKeyOrLiteralSecret()
    {
        var template = CompiledTemplate.Load();
        var settings = AppSettings(template);
        var text = File.ReadAllText(Path.Combine(template.RepositoryRoot, CompiledTemplate.RelativePath));

        foreach (var forbidden in new[] { "AccountKey=", "listKeys(", "SharedAccessSignature=", "DefaultEndpointsProtocol=" })
        {
            Assert.DoesNotContain(forbidden, text, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var (name, value) in settings)
        {
            if (!SecretName().IsMatch(name))
            {
                continue;
            }

            var raw = value?.ToString() ?? string.Empty;
            Assert.Contains(KeyVaultReferenceFormat, raw, StringComparison.Ordinal);
            // Only two literals may appear: the reference format and the empty string that switches an optional secret off.
            var literals = QuotedLiteral().Matches(ParameterReference().Replace(raw, string.Empty)).Select(m => m.Groups["text"].Value).ToList();
            Assert.All(literals, l => Assert.Contains(l, new[] { KeyVaultReferenceFormat, string.Empty }));
            Assert.All(ParameterNames(raw), p => Assert.EndsWith("Uri", p, StringComparison.Ordinal));
        }

        Assert.Equal($"[format('{KeyVaultReferenceFormat}', parameters('brazeApiKeyUri'))]", settings["Braze__ApiKey"]?.ToString());
        Assert.Equal($"[if(empty(parameters('ingressSecretUri')), '', format('{KeyVaultReferenceFormat}', parameters('ingressSecretUri')))]", settings["Ingress__SharedSecret"]?.ToString());
    }

    [Fact]
    public void SecureParameters_CompiledTemplate_ReachOnlyKeyVault()
    {
        var template = CompiledTemplate.Load();
        var parameters = template.Root.Template["parameters"]!.AsObject();
        var secure = parameters.Where(p => p.Value?["type"]?.GetValue<string>() == "securestring").Select(p => p.Key).ToList();
        Assert.Equal(["brazeApiKey", "ingressSharedSecret"], secure.Order(StringComparer.Ordinal));

        var variables = template.Root.Template["variables"]?.AsObject() ?? [];
        var tainted = secure.Select(s => $"parameters('{s}')")
            .Concat(variables.Where(v => secure.Any(s => v.Value?.ToString().Contains($"parameters('{s}')", StringComparison.Ordinal) == true)).Select(v => $"variables('{v.Key}')"))
            .ToList();

        foreach (var module in template.OfType("Microsoft.Resources/deployments").Where(d => d.Scope == template.Root))
        {
            var passed = module.Properties?["parameters"]?.AsObject() ?? [];
            foreach (var (name, value) in passed)
            {
                var expression = value?["value"]?.ToString() ?? string.Empty;
                if (tainted.Any(t => expression.Contains(t, StringComparison.Ordinal)))
                {
                    Assert.Equal("keyvault", module.Name);
                    var declared = module.Properties?["template"]?["parameters"]?[name]?["type"]?.GetValue<string>();
                    Assert.True(declared == "securestring" || expression.StartsWith("[not(empty(", StringComparison.Ordinal),
                        $"Module parameter keyvault.{name} receives a secret but is not @secure().");
                }
            }
        }
    }

    [Fact]
    public void ParametersFile_Compiled_CarriesNoSecretValue()
    {
        var template = CompiledTemplate.Load();
        var path = Path.Combine(template.RepositoryRoot, "infra", "out", "main.parameters.json");
        Assert.True(File.Exists(path), "infra/out/main.parameters.json is missing: run `bash infra/build.sh`.");
        var values = JsonNode.Parse(File.ReadAllText(path))?["parameters"]?.AsObject();
        Assert.NotNull(values);

        var secure = template.Root.Template["parameters"]!.AsObject()
            .Where(p => p.Value?["type"]?.GetValue<string>() == "securestring")
            .Select(p => p.Key)
            .ToList();
        Assert.NotEmpty(secure);
        // infra/build.sh compiles main.bicepparam without the secret environment variables, so whatever the shell
        // that ran it held, no secret reaches the build output.
        Assert.All(secure, name => Assert.Equal(string.Empty, values[name]?["value"]?.GetValue<string>()));
    }

    [Fact]
    public void BrazeEndpoint_CompiledTemplate_AllowsOnlyBrazeRestHosts()
    {
        var template = CompiledTemplate.Load();
        var allowed = template.Root.Template["parameters"]?["brazeRestEndpoint"]?["allowedValues"]?.AsArray()
            .Select(v => v!.GetValue<string>()).ToList() ?? [];

        Assert.Equal(15, allowed.Count);
        Assert.All(allowed, h => Assert.Matches(@"^https://rest\.[a-z]{2,3}-\d{2}\.braze\.(com|eu)$", h));
        Assert.DoesNotContain("https://rest.iad-09.braze.com", allowed);
        Assert.DoesNotContain("https://rest.us-09.braze.com", allowed);
        var site = template.Single("Microsoft.Web/sites");
        Assert.Equal("[parameters('brazeRestEndpoint')]", site.Scope.PassedValue("brazeRestEndpoint"));
    }

    [Fact]
    public void Storage_CompiledTemplate_RefusesSharedKeysAndPublicBlobs()
    {
        var storage = CompiledTemplate.Load().Single("Microsoft.Storage/storageAccounts").Properties;

        Assert.False(storage?["allowSharedKeyAccess"]?.GetValue<bool>());
        Assert.False(storage?["allowBlobPublicAccess"]?.GetValue<bool>());
        Assert.True(storage?["supportsHttpsTrafficOnly"]?.GetValue<bool>());
        Assert.Equal("TLS1_2", storage?["minimumTlsVersion"]?.GetValue<string>());
    }

    [Fact]
    public void KeyVault_CompiledTemplate_UsesRbacWithSoftDeleteAndHoldsBothSecrets()
    {
        var template = CompiledTemplate.Load();
        var vault = template.Single("Microsoft.KeyVault/vaults");

        Assert.True(vault.Properties?["enableRbacAuthorization"]?.GetValue<bool>());
        Assert.True(vault.Properties?["enableSoftDelete"]?.GetValue<bool>());
        Assert.Contains("parameters('enablePurgeProtection')", vault.Properties?["enablePurgeProtection"]?.ToString(), StringComparison.Ordinal);
        var secrets = template.OfType("Microsoft.KeyVault/vaults/secrets").ToList();
        Assert.Contains(secrets, s => s.Name.Contains("'braze-api-key'", StringComparison.Ordinal) && s.Json["condition"] is null);
        Assert.Contains(secrets, s => s.Name.Contains("'ingress-shared-secret'", StringComparison.Ordinal) && s.Json["condition"] is not null);
    }

    [Fact]
    public void RoleAssignments_CompiledTemplate_GrantExactlyTheLeastPrivilegeRolesToTheAppIdentity()
    {
        var template = CompiledTemplate.Load();
        var assignments = template.OfType("Microsoft.Authorization/roleAssignments").ToList();

        var granted = assignments.Select(a =>
        {
            var definition = a.Properties?["roleDefinitionId"]?.ToString() ?? string.Empty;
            var variable = CompiledTemplate.AnyVariable().Match(definition);
            return variable.Success ? a.Scope.Template["variables"]?[variable.Groups["name"].Value]?.GetValue<string>() : definition;
        }).ToList();
        Assert.Equal(ExpectedRoles.Keys.Order(StringComparer.Ordinal), granted.Order(StringComparer.Ordinal)!);

        foreach (var assignment in assignments)
        {
            var name = assignment.Name;
            Assert.StartsWith("[guid(", name, StringComparison.Ordinal);
            Assert.Contains("parameters('principalId')", name, StringComparison.Ordinal);
            Assert.Equal("[parameters('principalId')]", assignment.Properties?["principalId"]?.ToString());
            Assert.Equal("ServicePrincipal", assignment.Properties?["principalType"]?.GetValue<string>());
            Assert.NotNull(assignment.Json["scope"]);
            Assert.Contains("'identity'", assignment.Scope.PassedValue("principalId"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Monitoring_CompiledTemplate_SendsTelemetryToEntraOnlyApplicationInsights()
    {
        var template = CompiledTemplate.Load();
        var component = template.Single("Microsoft.Insights/components");

        Assert.True(component.Properties?["DisableLocalAuth"]?.GetValue<bool>());
        Assert.NotNull(component.Properties?["WorkspaceResourceId"]);
        Assert.Contains("outputs.connectionString.value", PassedFor(AppSettings(template), "APPLICATIONINSIGHTS_CONNECTION_STRING"), StringComparison.Ordinal);
    }

    [Fact]
    public void Monitoring_CompiledTemplate_QueriesUseTheRelayInstrumentNames()
    {
        var template = CompiledTemplate.Load();
        var workbookResource = template.Single("Microsoft.Insights/workbooks");
        // Bicep keeps loadTextContent() results in a variable; follow it to the workbook JSON.
        var workbook = workbookResource.Scope.ResolveLiteral(workbookResource.Properties?["serializedData"]) ?? string.Empty;
        Assert.NotNull(JsonNode.Parse(workbook)?["items"]);
        var alertQueries = template.OfType("Microsoft.Insights/scheduledQueryRules")
            .SelectMany(r => r.Properties?["criteria"]?["allOf"]?.AsArray() ?? [])
            .Select(c => c?["query"]?.GetValue<string>() ?? string.Empty)
            .ToList();

        var workbookNames = InstrumentName().Matches(workbook).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        var alertNames = alertQueries.SelectMany(q => InstrumentName().Matches(q).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);
        Assert.Subset(ContractInstruments, workbookNames);
        Assert.Subset(ContractInstruments, alertNames);
        Assert.Superset(
            new HashSet<string>(StringComparer.Ordinal)
            {
                "relay.deliveries.delivered", "relay.deliveries.rate_limited", "relay.deliveries.deferred", "relay.deliveries.retried",
                "relay.deliveries.dead_lettered", "relay.deliveries.aborted", "relay.braze.request.duration", "relay.delivery.age",
            },
            workbookNames);
        Assert.Superset(new HashSet<string>(StringComparer.Ordinal) { "relay.deliveries.dead_lettered", "relay.deliveries.rate_limited", "relay.webhooks.rejected" }, alertNames);

        var tags = CustomDimension().Matches(workbook + string.Join('\n', alertQueries)).Select(m => m.Groups["tag"].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Subset(ContractTags, tags);

        // The ingress instruments exist in the code today: check the names against the meter itself.
        var published = PublishedInstruments();
        Assert.All(workbookNames.Concat(alertNames).Where(n => n.StartsWith("relay.webhooks.", StringComparison.Ordinal)), n => Assert.Contains(n, published));
    }

    [Fact]
    public void Alerts_CompiledTemplate_WatchTheIngressFunctionAndTheHealthEndpoint()
    {
        var template = CompiledTemplate.Load();
        var functions = FunctionSources(template.RepositoryRoot);
        var ingressName = FunctionName().Match(functions["WebhookIngressFunction.cs"]).Groups["name"].Value;
        var healthRoute = RouteValue().Match(functions["HealthFunction.cs"]).Groups["route"].Value;
        var hooksRoute = RouteValue().Match(functions["WebhookIngressFunction.cs"]).Groups["route"].Value;
        var routePrefix = JsonNode.Parse(File.ReadAllText(Path.Combine(template.RepositoryRoot, "host.json")))?["extensions"]?["http"]?["routePrefix"]?.GetValue<string>();

        var queries = string.Join('\n', template.OfType("Microsoft.Insights/scheduledQueryRules")
            .SelectMany(r => r.Properties?["criteria"]?["allOf"]?.AsArray() ?? []).Select(c => c?["query"]?.GetValue<string>()));
        Assert.Contains($"name == \"{ingressName}\"", queries, StringComparison.Ordinal);

        var webTest = template.Single("Microsoft.Insights/webtests");
        Assert.Equal("[parameters('healthUrl')]", webTest.Properties?["Request"]?["RequestUrl"]?.ToString());
        Assert.Contains($"/{routePrefix}/{healthRoute}'", webTest.Scope.PassedValue("healthUrl"), StringComparison.Ordinal);
        Assert.Equal(200, webTest.Properties?["ValidationRules"]?["ExpectedHttpStatusCode"]?.GetValue<int>());
        var healthAlert = template.Single("Microsoft.Insights/metricAlerts");
        Assert.Equal("Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria", healthAlert.Properties?["criteria"]?["odata.type"]?.GetValue<string>());

        var outputs = template.Root.Template["outputs"]!;
        // format() doubles literal braces: {{route}} is the text {route}.
        var webhookPattern = outputs["WEBHOOK_URL_PATTERN"]?["value"]?.ToString().Replace("{{", "{", StringComparison.Ordinal).Replace("}}", "}", StringComparison.Ordinal);
        Assert.Contains($"/{routePrefix}/{hooksRoute}'", webhookPattern, StringComparison.Ordinal);
        Assert.Contains($"/{routePrefix}/{healthRoute}", outputs["HEALTH_URL"]?["value"]?.ToString(), StringComparison.Ordinal);
        Assert.NotNull(outputs["AZURE_FUNCTION_APP_NAME"]);
        Assert.NotNull(outputs["APPLICATIONINSIGHTS_RESOURCE_ID"]);
        Assert.All(template.OfType("Microsoft.Insights/scheduledQueryRules").Append(healthAlert),
            r => Assert.Contains("actionGroups", r.Json.ToJsonString(), StringComparison.Ordinal));
    }

    private static Dictionary<string, JsonNode?> AppSettings(CompiledTemplate template)
    {
        var site = template.Single("Microsoft.Web/sites");
        var array = site.Properties?["siteConfig"]?["appSettings"] as JsonArray;
        Assert.True(array is not null, "siteConfig.appSettings must stay a literal array so the settings can be checked by name.");
        return array.OfType<JsonObject>().ToDictionary(s => s["name"]!.GetValue<string>(), s => s["value"], StringComparer.Ordinal);
    }

    private static string? Literal(Dictionary<string, JsonNode?> settings, string name) =>
        settings.TryGetValue(name, out var value) ? value?.GetValue<string>() : null;

    private static string PassedFor(Dictionary<string, JsonNode?> settings, string name)
    {
        var site = CompiledTemplate.Load().Single("Microsoft.Web/sites");
        var parameter = CompiledTemplate.WholeParameter().Match(settings[name]?.ToString() ?? string.Empty);
        Assert.True(parameter.Success, $"{name} should take a module parameter.");
        return site.Scope.PassedValue(parameter.Groups["name"].Value) ?? string.Empty;
    }

    private static IEnumerable<(string Key, string Value)> SampleSettings(string root)
    {
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "local.settings.sample.json")))?["Values"]?.AsObject();
        Assert.NotNull(sample);
        return sample.Select(p => (p.Key, p.Value?.ToString() ?? string.Empty));
    }

    private static IEnumerable<Type> OptionTypes() =>
        typeof(OutboxOptions).Assembly.GetTypes().Where(t =>
            t is { IsClass: true, IsAbstract: false }
            && t.GetConstructor(Type.EmptyTypes) is not null
            && t.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true });

    private static string SectionOf(Type optionsType) => (string)optionsType.GetField("Section")!.GetRawConstantValue()!;

    private static IEnumerable<string> RequiredOptionSettings()
    {
        foreach (var type in OptionTypes())
        {
            var defaults = Activator.CreateInstance(type);
            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (property.GetCustomAttribute<RequiredAttribute>() is null || !property.CanWrite)
                {
                    continue;
                }

                var value = property.GetValue(defaults);
                if (value is null || (value is string text && string.IsNullOrWhiteSpace(text)))
                {
                    yield return $"{SectionOf(type)}__{property.Name}";
                }
            }
        }
    }

    private static bool SampleValueIsCodeDefault(string key, string sampleValue)
    {
        var parts = key.Split("__");
        if (parts.Length != 2)
        {
            return false;
        }

        var type = OptionTypes().FirstOrDefault(t => SectionOf(t) == parts[0]);
        var property = type?.GetProperty(parts[1], BindingFlags.Public | BindingFlags.Instance);
        if (type is null || property is null || !property.CanWrite)
        {
            return false;
        }

        var bound = Activator.CreateInstance(type)!;
        new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [$"{parts[0]}:{parts[1]}"] = sampleValue })
            .Build()
            .GetSection(parts[0])
            .Bind(bound);
        return Equals(property.GetValue(bound), property.GetValue(Activator.CreateInstance(type)));
    }

    private static IEnumerable<(string Setting, string Connection)> QueueTriggers(string root)
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "src", "BrazeFunctions"), "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (Match trigger in QueueTrigger().Matches(File.ReadAllText(file)))
            {
                var connection = trigger.Groups["connection"].Success ? trigger.Groups["connection"].Value : "AzureWebJobsStorage";
                yield return (trigger.Groups["setting"].Value, connection);
            }
        }
    }

    private static Dictionary<string, string> FunctionSources(string root) =>
        Directory.EnumerateFiles(Path.Combine(root, "src", "BrazeFunctions", "Functions"), "*.cs")
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllText, StringComparer.Ordinal);

    private static HashSet<string> PublishedInstruments()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new RelayMetrics(services.GetRequiredService<IMeterFactory>());
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter, metrics.Meter))
                {
                    names.Add(instrument.Name);
                }
            },
        };
        listener.Start();
        return names;
    }

    private static IEnumerable<string> ParameterNames(string expression) =>
        ParameterReference().Matches(expression).Select(m => m.Groups["name"].Value);

    [GeneratedRegex(@"(ApiKey|Secret|Password|Token|AccountKey|SasToken)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"'(?<text>(?:[^']|'')*)'")]
    private static partial Regex QuotedLiteral();

    [GeneratedRegex(@"parameters\('(?<name>[^']+)'\)")]
    private static partial Regex ParameterReference();

    [GeneratedRegex(@"\brelay(\.[a-z_]+)+\b")]
    private static partial Regex InstrumentName();

    [GeneratedRegex(@"customDimensions\.(?<tag>[A-Za-z_]+)")]
    private static partial Regex CustomDimension();

    [GeneratedRegex(@"QueueTrigger\(\s*""%(?<setting>[^""%]+)%""(?:\s*,\s*Connection\s*=\s*""(?<connection>[^""]+)"")?")]
    private static partial Regex QueueTrigger();

    [GeneratedRegex(@"\[Function\(""(?<name>[^""]+)""\)\]")]
    private static partial Regex FunctionName();

    [GeneratedRegex(@"Route\s*=\s*""(?<route>[^""]+)""")]
    private static partial Regex RouteValue();
}
