// Least-privilege data-plane roles for the relay's identity. Names are guid(scope, principal, role) so a
// redeployment finds the same assignment instead of failing on a duplicate.

@description('Principal (object) id of the relay identity.')
param principalId string

@description('Storage account the host and the relay use.')
param storageAccountName string

@description('Key Vault that holds the relay secrets.')
param keyVaultName string

@description('Application Insights component the relay sends telemetry to.')
param appInsightsName string

var storageRoles = [
  // Storage Blob Data Owner: the Functions host keeps keys and leases in blobs and Flex Consumption reads the
  // deployment package; Owner (not Contributor) is what the host documents for AzureWebJobsStorage.
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  // Storage Queue Data Contributor: the ingress sends, the trigger reads and deletes, the host moves poison messages,
  // and StorageQueue creates a queue that is missing.
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  // Storage Table Data Contributor: the app creates and drops its own tables (dedupe<yyyyMMdd> per day, relaypacing)
  // and reads and writes their entities.
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
]
// Key Vault Secrets User: resolves the app settings' Key Vault references (read secret values only).
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
// Monitoring Metrics Publisher: sends telemetry to Application Insights with Entra ID auth (local auth is off).
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource storage 'Microsoft.Storage/storageAccounts@2026-06-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' existing = {
  name: keyVaultName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource storageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in storageRoles: {
    name: guid(storage.id, principalId, role)
    scope: storage
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
}
