// The claim-check (issue 18): the blob container that keeps webhook bodies too large for a queue message, and the relay
// identity's access to that container alone. The app reads the container's name from Outbox__BodyContainer, whose
// default (OutboxOptions.DefaultBodyContainer) is the name main.bicep passes here; the infra tests hold them in step.

@description('Storage account that holds the container.')
param storageAccountName string

@description('The container of webhook bodies (OutboxOptions.DefaultBodyContainer).')
param containerName string

@description('Principal (object) id of the relay identity.')
param principalId string

// Storage Blob Data Contributor: write a body before the 202, read it at dispatch, empty it once its message has ended,
// list and delete leftovers in the hourly cleanup. Granted on this container, not on the account.
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource storage 'Microsoft.Storage/storageAccounts@2026-06-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2026-06-01' existing = {
  parent: storage
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2026-06-01' = {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}

resource contributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(container.id, principalId, storageBlobDataContributor)
  scope: container
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
  }
}

output containerName string = container.name
