using BrazeFunctions.Core.Storage;

namespace BrazeFunctions.Infra.Tests;

/// <summary>The app's identity and its roles: the user-assigned identity everywhere, least-privilege roles, the body container's role on it alone.</summary>
[Collection(InfraCollection.Name)]
public sealed class IdentityTemplateTests(InfraBuild build)
{
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
}
