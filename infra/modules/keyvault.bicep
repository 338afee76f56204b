// Key Vault in RBAC mode holding the relay's secrets: the Braze REST API key of every workspace and the ingress shared
// secrets. The app reads them through Key Vault references resolved with the user-assigned identity, so no secret
// value is ever an app setting. ARM writes the secrets through the control plane, which the vault's firewall does not
// filter, so the same deployment works in private mode.

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

@description('Recover the soft-deleted vault of this name instead of creating a new one.')
param recoverSoftDeleted bool

@description('Days a deleted vault or secret can be recovered.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@description('Turn public network access off: only the private endpoint reaches the vault.')
param privateOnly bool

@description('Log Analytics workspace that receives the vault\'s audit log.')
param logAnalyticsWorkspaceId string

@secure()
@description('Braze REST API key of the workspace "default" in the single-workspace form; ignored when storeBrazeApiKey is false.')
param brazeApiKey string

@description('Whether the single-workspace key is given. A plain bool, so outputs never depend on the secret value.')
param storeBrazeApiKey bool

@description('Named workspaces: [{name, secretName, ...}], one secret each.')
param workspaceSecrets array

@secure()
@description('REST API key of every named workspace, by workspace name.')
param workspaceApiKeys object

@secure()
@description('Optional shared secret of the ingress; ignored when storeIngressSecret is false.')
param ingressSharedSecret string

@description('Whether an ingress shared secret was given. A plain bool, so outputs never depend on the secret value.')
param storeIngressSecret bool

@secure()
@description('Optional next shared secret of the ingress (rotation); ignored when storeIngressNextSecret is false.')
param ingressNextSharedSecret string

@description('Whether a next ingress shared secret was given.')
param storeIngressNextSecret bool

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    // With purge protection a deleted vault keeps its name for the retention period; recovering it brings it (and its
    // secrets, which this deployment then updates) back under the same name. Left out otherwise: "default" is implied.
    createMode: recoverSoftDeleted ? 'recover' : null
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
    publicNetworkAccess: privateOnly ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateOnly ? 'Deny' : 'Allow'
      bypass: privateOnly ? 'None' : 'AzureServices'
    }
  }
}

resource brazeApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = if (storeBrazeApiKey) {
  parent: vault
  name: 'braze-api-key'
  properties: {
    value: brazeApiKey
    contentType: 'Braze REST API key (workspace "default")'
  }
}

var workspaceNames = map(workspaceSecrets, w => w.name)
// Only workspace names, never a key, appear in these messages.
var workspaceKeyProblems = concat(
  map(filter(workspaceNames, n => empty(workspaceApiKeys[?n] ?? '')), n => 'brazeWorkspaceApiKeys has no key for "${n}"'),
  map(
    filter(objectKeys(workspaceApiKeys), k => !contains(workspaceNames, k)),
    k => 'brazeWorkspaceApiKeys names "${k}", which is not in brazeWorkspaces'
  )
)

resource workspaceApiKeySecrets 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = [
  for workspace in workspaceSecrets: {
    parent: vault
    name: workspace.secretName
    properties: {
      value: empty(workspaceKeyProblems)
        ? workspaceApiKeys[workspace.name]
        : fail('Invalid Braze workspace keys: ${join(workspaceKeyProblems, '; ')}.')
      contentType: 'Braze REST API key (workspace "${workspace.name}")'
    }
  }
]

resource ingressSecret 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = if (storeIngressSecret) {
  parent: vault
  name: 'ingress-shared-secret'
  properties: {
    value: ingressSharedSecret
    contentType: 'Shared secret Braze sends in the ingress secret header'
  }
}

resource ingressNextSecret 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = if (storeIngressNextSecret) {
  parent: vault
  name: 'ingress-next-shared-secret'
  properties: {
    value: ingressNextSharedSecret
    contentType: 'Next shared secret of the ingress, accepted beside the current one during a rotation'
  }
}

// Who read or changed which secret, from where: the AuditEvent log.
// 2021-05-01-preview is the newest API version of diagnostic settings (category groups came with it); the linter
// would accept only the 2016 one.
#disable-next-line use-recent-api-versions
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
// URIs without a version: the app follows the latest version of each secret.
output brazeApiKeyUri string = storeBrazeApiKey ? brazeApiKeySecret!.properties.secretUri : ''
output ingressSecretUri string = storeIngressSecret ? ingressSecret!.properties.secretUri : ''
output ingressNextSecretUri string = storeIngressNextSecret ? ingressNextSecret!.properties.secretUri : ''
