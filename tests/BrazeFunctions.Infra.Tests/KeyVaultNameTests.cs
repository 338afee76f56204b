namespace BrazeFunctions.Infra.Tests;

/// <summary>
/// With purge protection a deleted vault keeps its name for the retention period, so `azd down` then `azd up` of one
/// environment collides with it. keyVaultNameSuffix (a new vault) and keyVaultRecover (the deleted one back) are the
/// ways out; without them the name and the create mode stay what existing deployments have.
/// </summary>
[Collection(InfraCollection.Name)]
public sealed class KeyVaultNameTests(InfraBuild build)
{
    [Fact]
    public void Vault_MainParameters_KeepsItsNameAndIsCreatedNormally()
    {
        var vault = build.Snapshot(InfraBuild.MainParameters).Single("Microsoft.KeyVault/vaults");

        Assert.Matches("^kv-[a-z0-9]{13}$", vault.Name);
        Assert.Null(vault.Properties?["createMode"]);
        Assert.True(vault.Properties?["enablePurgeProtection"]?.GetValue<bool>());
    }

    [Fact]
    public void Vault_SuffixAndRecover_GetsTheSuffixedNameEverywhereAndRecovers()
    {
        var snapshot = build.Snapshot("keyvault-recovered-with-suffix");
        var vault = snapshot.Single("Microsoft.KeyVault/vaults");

        Assert.Matches("^kv-[a-z0-9]{13}-r2$", vault.Name);
        Assert.Equal("recover", vault.Properties?["createMode"]?.GetValue<string>());
        // The app's secret role and Key Vault references follow the new name.
        Assert.Contains(snapshot.OfType("Microsoft.Authorization/roleAssignments"), a => a.Id.Contains($"/vaults/{vault.Name}'", StringComparison.Ordinal));
        Assert.All(snapshot.OfType("Microsoft.KeyVault/vaults/secrets"), s => Assert.StartsWith($"{vault.Name}/", s.Name, StringComparison.Ordinal));
    }

    [Fact]
    public void Vault_SuffixWithCharactersAVaultNameRefuses_StopsTheDeployment()
    {
        var output = build.RefusedSnapshot("invalid-keyvault-suffix");

        Assert.Contains("keyVaultNameSuffix \"R_2\" must be 1-7 lower-case letters and digits", output, StringComparison.Ordinal);
    }

    [Fact]
    public void VaultParameters_MainParameters_ReadTheirEnvironmentVariables()
    {
        Assert.Equal("RELAY_KEY_VAULT_NAME_SUFFIX", build.EnvironmentVariablesByParameter["keyVaultNameSuffix"]);
        Assert.Equal("RELAY_KEY_VAULT_RECOVER", build.EnvironmentVariablesByParameter["keyVaultRecover"]);
        Assert.Equal(7, build.Template.Root.Template["parameters"]!["keyVaultNameSuffix"]!["maxLength"]!.GetValue<int>());
    }
}
