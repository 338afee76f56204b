// Storage for the Functions host, the relay's queues and tables and the Flex Consumption deployment package. Shared keys
// are off: every caller, the host included, signs in with Microsoft Entra ID. In private mode the account takes no
// public traffic at all; the app reaches it through private endpoints (privateendpoints.bicep).

@description('Storage account name (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags for the resources.')
param tags object

@description('The outbox queue (Outbox__QueueName).')
param outboxQueueName string

@description('The dead-letter queue: the outbox name plus "-poison", as OutboxOptions.PoisonQueueName and the Functions host build it.')
param poisonQueueName string

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Turn public network access off: only private endpoints reach the account.')
param privateOnly bool

@description('Log Analytics workspace that receives the blob, queue and table logs.')
param logAnalyticsWorkspaceId string

@description('Also send StorageRead logs (high volume: queue polling and host leases).')
param readLogsEnabled bool

resource storage 'Microsoft.Storage/storageAccounts@2026-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Without a virtual network, Flex Consumption reaches storage over its public endpoint and Entra ID guards it. In
    // private mode nothing public gets through, trusted Azure services included, as in the official Flex sample.
    publicNetworkAccess: privateOnly ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateOnly ? 'Deny' : 'Allow'
      bypass: privateOnly ? 'None' : 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2026-06-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-06-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2026-06-01' = {
  parent: storage
  name: 'default'
}

resource outboxQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2026-06-01' = {
  parent: queueService
  name: outboxQueueName
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2026-06-01' = {
  parent: queueService
  name: poisonQueueName
}

// The app creates its own tables (dedupe<yyyyMMdd> per day, relaypacing) and drops old ones whole; only the service is
// declared here, as the scope of its diagnostic setting.
resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2026-06-01' = {
  parent: storage
  name: 'default'
}

var logs = [
  for category in concat(readLogsEnabled ? ['StorageRead'] : [], ['StorageWrite', 'StorageDelete']): {
    category: category
    enabled: true
  }
]

// One setting per service: a storage account's resource logs live on its blob, queue and table services.
// 2021-05-01-preview is the newest API version of diagnostic settings; the linter would accept only the 2016 one.
#disable-next-line use-recent-api-versions
resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: blobService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: logs
  }
}

#disable-next-line use-recent-api-versions
resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: queueService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: logs
  }
}

#disable-next-line use-recent-api-versions
resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: tableService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: logs
  }
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainer.name}'
