using System.Text.RegularExpressions;

namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// Defence in depth (issue 10, item 9): private mode with private endpoints for blob, queue, table and Key Vault,
/// diagnostic settings to Log Analytics, and the ingress allow-list on the main site.
/// </summary>
[Collection(InfraCollection.Name)]
public sealed partial class NetworkTemplateTests(InfraBuild build)
{
    private static readonly string[] PrivateGroups = ["blob", "queue", "table", "vault"];

    [Fact]
    public void PrivateMode_TwoWorkspacesPrivate_PutsBlobQueueTableAndKeyVaultBehindPrivateEndpoints()
    {
        var snapshot = build.Snapshot("two-workspaces-private");
        var vnet = snapshot.Single("Microsoft.Network/virtualNetworks");
        var endpoints = snapshot.OfType("Microsoft.Network/privateEndpoints").ToList();
        var zones = snapshot.OfType("Microsoft.Network/privateDnsZones").ToList();
        var links = snapshot.OfType("Microsoft.Network/privateDnsZones/virtualNetworkLinks").ToList();
        var zoneGroups = snapshot.OfType("Microsoft.Network/privateEndpoints/privateDnsZoneGroups").ToList();
        var storage = snapshot.Single("Microsoft.Storage/storageAccounts");
        var vault = snapshot.Single("Microsoft.KeyVault/vaults");

        var groups = endpoints.Select(e => e.Properties!["privateLinkServiceConnections"]![0]!["properties"]!["groupIds"]![0]!.GetValue<string>()).Order(StringComparer.Ordinal);
        Assert.Equal(PrivateGroups, groups);
        foreach (var endpoint in endpoints)
        {
            var connection = endpoint.Properties!["privateLinkServiceConnections"]![0]!["properties"]!;
            var target = connection["groupIds"]![0]!.GetValue<string>() == "vault" ? vault.Id : storage.Id;
            Assert.Equal(target, connection["privateLinkServiceId"]?.GetValue<string>());
            Assert.Equal($"{vnet.Id}/subnets/private-endpoints", endpoint.Properties["subnet"]?["id"]?.GetValue<string>());
        }

        // Each service's private DNS zone is linked to the VNet and registered by its endpoint's zone group, so the
        // public host names resolve to the private addresses from inside.
        Assert.Equal(4, zones.Count);
        Assert.All(new[] { "privatelink.blob.", "privatelink.queue.", "privatelink.table.", "'.vault.', '.vaultcore.'" },
            zone => Assert.Contains(zones, z => z.Name.Contains(zone, StringComparison.Ordinal)));
        Assert.Equal(4, links.Count);
        Assert.All(links, l => Assert.Equal(vnet.Id, l.Properties?["virtualNetwork"]?["id"]?.GetValue<string>()));
        Assert.Equal(4, zoneGroups.Count);

        Assert.Equal("Disabled", storage.Properties?["publicNetworkAccess"]?.GetValue<string>());
        Assert.Equal("Deny", storage.Properties?["networkAcls"]?["defaultAction"]?.GetValue<string>());
        Assert.Equal("Disabled", vault.Properties?["publicNetworkAccess"]?.GetValue<string>());
        Assert.Equal("Deny", vault.Properties?["networkAcls"]?["defaultAction"]?.GetValue<string>());
    }

    [Fact]
    public void PrivateMode_TwoWorkspacesPrivate_IntegratesTheAppIntoADelegatedSubnet()
    {
        var snapshot = build.Snapshot("two-workspaces-private");
        var vnet = snapshot.Single("Microsoft.Network/virtualNetworks");
        var site = snapshot.Single("Microsoft.Web/sites");

        Assert.Equal("10.42.0.0/16", vnet.Properties?["addressSpace"]?["addressPrefixes"]?[0]?.GetValue<string>());
        var subnets = vnet.Properties!["subnets"]!.AsArray().ToDictionary(s => s!["name"]!.GetValue<string>(), s => s!["properties"]!);
        Assert.Equal("10.42.0.0/24", subnets["private-endpoints"]["addressPrefix"]?.GetValue<string>());
        Assert.Equal("10.42.1.0/24", subnets["app"]["addressPrefix"]?.GetValue<string>());
        // Flex Consumption integrates through a subnet delegated to Microsoft.App/environments.
        Assert.Equal("Microsoft.App/environments", subnets["app"]["delegations"]?[0]?["properties"]?["serviceName"]?.GetValue<string>());
        Assert.Equal($"{vnet.Id}/subnets/app", site.Properties?["virtualNetworkSubnetId"]?.GetValue<string>());
    }

    [Fact]
    public void PublicMode_MainParameters_CreatesNoNetworkAndLeavesStorageAndKeyVaultReachable()
    {
        var snapshot = build.Snapshot(InfraBuild.MainParameters);

        Assert.Empty(snapshot.OfType("Microsoft.Network/virtualNetworks"));
        Assert.Empty(snapshot.OfType("Microsoft.Network/privateEndpoints"));
        Assert.Null(snapshot.Single("Microsoft.Web/sites").Properties?["virtualNetworkSubnetId"]);
        foreach (var type in new[] { "Microsoft.Storage/storageAccounts", "Microsoft.KeyVault/vaults" })
        {
            var resource = snapshot.Single(type);
            Assert.Equal("Enabled", resource.Properties?["publicNetworkAccess"]?.GetValue<string>());
            Assert.Equal("Allow", resource.Properties?["networkAcls"]?["defaultAction"]?.GetValue<string>());
        }

        Assert.False(build.Template.Root.Template["parameters"]?["vnetEnabled"]?["defaultValue"]?.GetValue<bool>());
        Assert.Equal("RELAY_VNET_ENABLED", build.EnvironmentVariablesByParameter["vnetEnabled"]);
    }

    [Fact]
    public void DiagnosticSettings_EveryScenario_SendKeyVaultAuditStorageAndAppLogsToLogAnalytics()
    {
        foreach (var scenario in new[] { InfraBuild.MainParameters, "two-workspaces-private" })
        {
            var snapshot = build.Snapshot(scenario);
            var workspace = snapshot.Single("Microsoft.OperationalInsights/workspaces");
            var settings = snapshot.OfType("Microsoft.Insights/diagnosticSettings").ToList();
            Assert.Equal(5, settings.Count);
            Assert.All(settings, s => Assert.Equal(workspace.Id, s.Properties?["workspaceId"]?.GetValue<string>()));

            var vaultLogs = snapshot.DiagnosticSettingOn(snapshot.Single("Microsoft.KeyVault/vaults").Id).Properties!["logs"]!.AsArray();
            Assert.Equal("audit", Assert.Single(vaultLogs)!["categoryGroup"]?.GetValue<string>());

            var site = snapshot.Single("Microsoft.Web/sites");
            var appLogs = snapshot.DiagnosticSettingOn(site.Id).Properties!;
            Assert.Equal("allLogs", Assert.Single(appLogs["logs"]!.AsArray())!["categoryGroup"]?.GetValue<string>());
            Assert.Equal("AllMetrics", Assert.Single(appLogs["metrics"]!.AsArray())!["category"]?.GetValue<string>());

            var storage = snapshot.Single("Microsoft.Storage/storageAccounts");
            foreach (var service in new[] { "blobServices", "queueServices", "tableServices" })
            {
                var categories = snapshot.DiagnosticSettingOn($"{storage.Id}/{service}/default").Properties!["logs"]!.AsArray()
                    .Select(l => l!["category"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
                // Reads (queue polling, host leases) are opt-in; writes and deletes are always audited.
                var expected = scenario == InfraBuild.MainParameters ? new[] { "StorageDelete", "StorageWrite" } : ["StorageDelete", "StorageRead", "StorageWrite"];
                Assert.Equal(expected, categories);
            }
        }
    }

    [Fact]
    public void IngressAllowList_TwoWorkspacesPrivate_AdmitsTheRangesAndAvailabilityTestsOnTheMainSiteOnly()
    {
        var siteConfig = build.Snapshot("two-workspaces-private").Single("Microsoft.Web/sites").Properties!["siteConfig"]!;
        var rules = siteConfig["ipSecurityRestrictions"]!.AsArray();

        Assert.Equal("Deny", siteConfig["ipSecurityRestrictionsDefaultAction"]?.GetValue<string>());
        Assert.All(rules, r => Assert.Equal("Allow", r!["action"]?.GetValue<string>()));
        var availability = Assert.Single(rules, r => r!["tag"]?.GetValue<string>() == "ServiceTag");
        Assert.Equal("ApplicationInsightsAvailability", availability!["ipAddress"]?.GetValue<string>());
        // Ranges are normalised (host bits cleared), in the given order after the availability rule.
        Assert.Equal(["52.58.142.242/32", "203.0.113.0/24"], rules.Where(r => r!["tag"] is null).Select(r => r!["ipAddress"]!.GetValue<string>()));
        Assert.Equal(rules.Count, rules.Select(r => r!["priority"]!.GetValue<int>()).Distinct().Count());
        // The SCM site (deployments) keeps its own, unrestricted rules.
        Assert.False(siteConfig["scmIpSecurityRestrictionsUseMain"]?.GetValue<bool>());
        Assert.Null(siteConfig["scmIpSecurityRestrictions"]);
        Assert.Null(siteConfig["scmIpSecurityRestrictionsDefaultAction"]);
    }

    /// <summary>
    /// Azure's access restrictions match a caller's source (CIDR, service tag or subnet), optionally narrowed by four HTTP
    /// headers (X-Forwarded-Host, X-Forwarded-For, X-Azure-FDID, X-FD-HealthProbe); no rule can name a path or a method.
    /// The ApplicationInsightsAvailability rule, which every Application Insights customer's tests share, therefore opens
    /// the whole main site to those ranges. What keeps it to GET /api/health is the app: that is the only anonymous
    /// function, so any other path needs the function key (or is 404). This test holds both halves of that argument.
    /// </summary>
    [Fact]
    public void AvailabilityRule_TwoWorkspacesPrivate_OpensOnlyTheAnonymousHealthCheckWithoutAKey()
    {
        var snapshot = build.Snapshot("two-workspaces-private");
        var rules = snapshot.Single("Microsoft.Web/sites").Properties!["siteConfig"]!["ipSecurityRestrictions"]!.AsArray();
        var availability = Assert.Single(rules, r => r!["tag"]?.GetValue<string>() == "ServiceTag")!.AsObject();

        // Everything Azure lets a rule say, and nothing that would widen it: one service tag, allow, no subnet, no headers.
        Assert.Equal(
            ["action", "description", "ipAddress", "name", "priority", "tag"],
            availability.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("ApplicationInsightsAvailability", availability["ipAddress"]?.GetValue<string>());
        Assert.Contains("reaches every path", availability["description"]?.GetValue<string>(), StringComparison.Ordinal);

        // The availability test calls the anonymous health check and nothing else.
        var probe = snapshot.Single("Microsoft.Insights/webtests").Properties!["Request"]!;
        Assert.Equal("GET", probe["HttpVerb"]?.GetValue<string>());
        Assert.StartsWith("[format('https://{0}/api/health', ", probe["RequestUrl"]?.GetValue<string>(), StringComparison.Ordinal);

        // The app: exactly one anonymous HTTP function, GET health; every other HTTP function needs the function key.
        var triggers = CodeContract.FunctionSources(build.RepositoryRoot).Values
            .SelectMany(source => HttpTrigger().Matches(source))
            .Select(m => (Level: m.Groups["level"].Value, Methods: m.Groups["methods"].Value, Route: m.Groups["route"].Value))
            .ToList();
        Assert.Equal(("Anonymous", "\"get\"", "health"), Assert.Single(triggers, t => t.Level != "Function"));
        Assert.True(triggers.Count >= 3, $"Expected the ingress, health and health details triggers, found {triggers.Count}.");
        Assert.Contains(triggers, t => t.Route == "hooks/{route}" && t.Level == "Function");
    }

    [GeneratedRegex(@"\[HttpTrigger\(AuthorizationLevel\.(?<level>\w+),\s*(?<methods>""[^)]*?""),\s*Route\s*=\s*""(?<route>[^""]+)""\)\]")]
    private static partial Regex HttpTrigger();

    [Fact]
    public void IngressAllowList_MainParameters_LeavesTheIngressOpen()
    {
        var siteConfig = build.Snapshot(InfraBuild.MainParameters).Single("Microsoft.Web/sites").Properties!["siteConfig"]!;

        Assert.Equal("Allow", siteConfig["ipSecurityRestrictionsDefaultAction"]?.GetValue<string>());
        Assert.Empty(siteConfig["ipSecurityRestrictions"]!.AsArray());
        Assert.Equal("RELAY_INGRESS_ALLOWED_CIDRS", build.EnvironmentVariablesByParameter["ingressAllowedCidrs"]);
    }
}
