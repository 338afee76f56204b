using System.Text.RegularExpressions;
using BrazeFunctions.Core.Storage;
using static BrazeFunctions.Infra.Tests.DeploymentScenarios;

namespace BrazeFunctions.Infra.Tests;

/// <summary>The compiled template's app settings, queues and tables agree with what the code reads and creates.</summary>
[Collection(InfraCollection.Name)]
public sealed partial class AppSettingsTemplateTests(InfraBuild build)
{
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

    [GeneratedRegex(@"^Braze__Workspaces__[a-z][a-z0-9]{0,23}__(RestEndpoint|ApiKey)$")]
    private static partial Regex WorkspaceSetting();
}
