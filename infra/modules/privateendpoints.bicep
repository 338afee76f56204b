// Private mode only: one private endpoint per storage service the relay uses (blob: host and deployment package; queue:
// the outbox; table: idempotency and pacing state) and one for Key Vault (the app settings' references), each with the
// private DNS zone that makes the public host name resolve to the private address inside the VNet.

@description('Azure region of the private endpoints.')
param location string

@description('Tags for the resources.')
param tags object

@description('Prefix of the private endpoint names.')
param namePrefix string

@description('Virtual network the DNS zones are linked to.')
param virtualNetworkId string

@description('Subnet that holds the private endpoints.')
param subnetId string

@description('Storage account of the relay.')
param storageAccountId string

@description('Key Vault of the relay.')
param keyVaultId string

// Zone names come from the cloud's own suffixes (core.windows.net, vault.azure.net, ...), so the module is not tied to
// the public cloud; Key Vault's private link zone is "vaultcore" where its host names say "vault".
var endpoints = [
  {
    groupId: 'blob'
    zone: 'privatelink.blob.${environment().suffixes.storage}'
  }
  {
    groupId: 'queue'
    zone: 'privatelink.queue.${environment().suffixes.storage}'
  }
  {
    groupId: 'table'
    zone: 'privatelink.table.${environment().suffixes.storage}'
  }
  {
    groupId: 'vault'
    zone: 'privatelink${replace(environment().suffixes.keyvaultDns, '.vault.', '.vaultcore.')}'
  }
]

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for endpoint in endpoints: {
    name: endpoint.zone
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (endpoint, i) in endpoints: {
    parent: zones[i]
    name: 'relay-vnet'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: virtualNetworkId
      }
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2025-05-01' = [
  for endpoint in endpoints: {
    name: 'pe-${namePrefix}-${endpoint.groupId}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: subnetId
      }
      privateLinkServiceConnections: [
        {
          name: endpoint.groupId
          properties: {
            privateLinkServiceId: endpoint.groupId == 'vault' ? keyVaultId : storageAccountId
            groupIds: [
              endpoint.groupId
            ]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2025-05-01' = [
  for (endpoint, i) in endpoints: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: endpoint.groupId
          properties: {
            privateDnsZoneId: zones[i].id
          }
        }
      ]
    }
  }
]
