// The ways out of a soft-deleted vault that blocks `azd up` after `azd down` (purge protection keeps its name for 90
// days): a suffix gives the environment a new vault name, and keyVaultRecover recovers the deleted vault of that name.
using '../../../infra/main.bicep'

param environmentName = 'relayvault'
param location = 'westeurope'
param brazeRestEndpoint = 'https://rest.fra-02.braze.eu'
param brazeApiKey = 'SECRET-vault-scenario-2d7a'
param keyVaultNameSuffix = 'r2'
param keyVaultRecover = true
