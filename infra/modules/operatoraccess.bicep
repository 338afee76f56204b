// Data-plane roles for the people (or the group, or the automation) who operate the relay with its CLI: trace a webhook,
// list, show, replay and purge dead letters, read the idempotency records. Shared keys are off on the account, so the
// CLI signs in with Microsoft Entra ID (DefaultAzureCredential) and needs these roles like the app does.
//
// To cover a new kind of data (for example a blob container of big webhooks), add a row to operatorRoles below; a role
// that should reach one container only belongs in its own resource with that container as its scope.

@description('Principal (object) id of the operator: a user, a group or a service principal.')
param principalId string

@description('Kind of principal, as Azure role assignments name it.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string

@description('Storage account of the relay (queues and tables).')
param storageAccountName string

var operatorRoles = [
  {
    // Storage Queue Data Contributor: peek and read the outbox and the poison queue, re-enqueue on replay, delete on
    // purge (the CLI's deadletter commands).
    area: 'queues'
    roleDefinitionId: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  }
  {
    // Storage Table Data Contributor: trace reads the relay's tables (the idempotency records); Contributor rather than
    // Reader, so that a CLI command that records a replay or a purge there needs no new grant.
    area: 'tables'
    roleDefinitionId: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  }
]

resource storage 'Microsoft.Storage/storageAccounts@2026-06-01' existing = {
  name: storageAccountName
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in operatorRoles: {
    // guid(scope, principal, role), as for the app's roles: a redeployment finds the same assignment.
    name: guid(storage.id, principalId, role.roleDefinitionId)
    scope: storage
    properties: {
      principalId: principalId
      principalType: principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.roleDefinitionId)
      description: 'Braze relay operator: ${role.area} (CLI trace and deadletter commands)'
    }
  }
]
