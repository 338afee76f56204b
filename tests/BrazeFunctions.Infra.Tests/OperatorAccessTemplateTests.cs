namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// operatorPrincipalId gives an operator (user, group or service principal) the queue and table data roles on the relay's
/// storage account, so the CLI can sign in with Entra ID (shared keys are off); without it nothing is granted.
/// </summary>
[Collection(InfraCollection.Name)]
public sealed class OperatorAccessTemplateTests(InfraBuild build)
{
    private const string OperatorId = "7d1c0f5e-3a5b-4c2e-9f10-2b6d8e4a1c37";
    private const string QueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string TableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";

    [Fact]
    public void OperatorRoles_OperatorGroup_GetsQueueAndTableDataRolesOnTheStorageAccountOnly()
    {
        var snapshot = build.Snapshot("operator-group");
        var storage = snapshot.Single("Microsoft.Storage/storageAccounts");

        var granted = snapshot.OfType("Microsoft.Authorization/roleAssignments")
            .Where(a => a.Properties?["principalId"]?.ToString() == OperatorId)
            .ToList();

        Assert.Equal(
            [TableDataContributor, QueueDataContributor],
            granted.Select(a => a.Properties!["roleDefinitionId"]!.ToString().Split('/')[^1]).Order(StringComparer.Ordinal));
        Assert.All(granted, a =>
        {
            Assert.Equal("Group", a.Properties?["principalType"]?.GetValue<string>());
            // Scoped to the relay's storage account: not the resource group, not the subscription.
            Assert.StartsWith($"{storage.Id}/providers/Microsoft.Authorization/roleAssignments/", a.Id, StringComparison.OrdinalIgnoreCase);
        });
        // Nothing else for the operator (no blob, Key Vault or control-plane role), and the app's six roles (the bodies container's included) are unchanged.
        var others = snapshot.OfType("Microsoft.Authorization/roleAssignments").Except(granted).ToList();
        Assert.Equal(6, others.Count);
        Assert.All(others, a => Assert.Equal("ServicePrincipal", a.Properties?["principalType"]?.GetValue<string>()));
    }

    [Fact]
    public void OperatorRoles_NoOperator_GrantNothingBeyondTheAppIdentity()
    {
        foreach (var scenario in new[] { InfraBuild.MainParameters, "two-workspaces-private", "workspaces-only" })
        {
            var assignments = build.Snapshot(scenario).OfType("Microsoft.Authorization/roleAssignments").ToList();

            Assert.Equal(6, assignments.Count);
            Assert.All(assignments, a => Assert.Equal("ServicePrincipal", a.Properties?["principalType"]?.GetValue<string>()));
        }
    }

    [Fact]
    public void OperatorParameters_MainParameters_ReadTheirEnvironmentVariablesAndAcceptOnlyPrincipalTypes()
    {
        Assert.Equal("RELAY_OPERATOR_PRINCIPAL_ID", build.EnvironmentVariablesByParameter["operatorPrincipalId"]);
        Assert.Equal("RELAY_OPERATOR_PRINCIPAL_TYPE", build.EnvironmentVariablesByParameter["operatorPrincipalType"]);
        var type = build.Template.Root.Template["parameters"]!["operatorPrincipalType"]!;
        Assert.Equal(["Group", "ServicePrincipal", "User"], type["allowedValues"]!.AsArray().Select(v => v!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal("User", type["defaultValue"]?.GetValue<string>());
        Assert.Equal(string.Empty, build.Template.Root.Template["parameters"]!["operatorPrincipalId"]!["defaultValue"]?.GetValue<string>());
    }
}
