// Key Vault in RBAC mode holding the relay's two secrets. The app reads them through Key Vault references resolved
// with the user-assigned identity, so no secret value is ever an app setting.

@description('Key Vault name (3-24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for the resources.')
param tags object

@description('Purge protection cannot be turned off again once on; leave it off for short-lived test environments.')
param enablePurgeProtection bool

@description('Days a deleted vault or secret can be recovered.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@secure()
@description('Braze REST API key.')
param brazeApiKey string

@secure()
@description('Optional shared secret of the ingress; ignored when storeIngressSecret is false.')
param ingressSharedSecret string

@description('Whether an ingress shared secret was given. A plain bool, so outputs never depend on the secret value.')
param storeIngressSecret bool

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // The service rejects an explicit false, so "off" is expressed by leaving the property out.
    enablePurgeProtection: enablePurgeProtection ? true : null
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource brazeApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = {
  parent: vault
  name: 'braze-api-key'
  properties: {
    value: brazeApiKey
    contentType: 'Braze REST API key'
  }
}

resource ingressSecret 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = if (storeIngressSecret) {
  parent: vault
  name: 'ingress-shared-secret'
  properties: {
    value: ingressSharedSecret
    contentType: 'Shared secret Braze sends in the ingress secret header'
  }
}

output id string = vault.id
output name string = vault.name
// URIs without a version: the app follows the latest version of each secret.
output brazeApiKeyUri string = brazeApiKeySecret.properties.secretUri
output ingressSecretUri string = storeIngressSecret ? ingressSecret!.properties.secretUri : ''
