namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// Checks that the deployment (infra/main.bicep, compiled and snapshotted by <see cref="InfraBuild"/>) and the code
/// agree on the hosting: runtime, instance limit, HTTPS, the Braze endpoint, storage and monitoring.
/// </summary>
[Collection(InfraCollection.Name)]
public sealed class CompiledTemplateTests(InfraBuild build)
{
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
    public void Monitoring_MainParameters_SendsTelemetryToEntraOnlyApplicationInsights()
    {
        var snapshot = build.Snapshot(InfraBuild.MainParameters);
        var component = snapshot.Single("Microsoft.Insights/components");

        Assert.True(component.Properties?["DisableLocalAuth"]?.GetValue<bool>());
        Assert.Contains("Microsoft.OperationalInsights/workspaces/", component.Properties?["WorkspaceResourceId"]?.ToString(), StringComparison.Ordinal);
        Assert.Matches(@"Microsoft\.Insights/components/[^']+', '[^']+'\)\.ConnectionString\]$", snapshot.AppSettings()["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
    }
}
