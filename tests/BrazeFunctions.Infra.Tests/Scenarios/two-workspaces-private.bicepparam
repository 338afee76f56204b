// Everything switched on: the single-workspace form as "default" plus two named workspaces, both ingress secrets,
// private mode, an ingress allow-list and non-default alert thresholds. Values named SECRET-* must never show up
// outside Key Vault secrets; the tests search the expanded deployment for them.
using '../../../infra/main.bicep'

param environmentName = 'relayprivate'
param location = 'westeurope'
param brazeRestEndpoint = 'https://rest.iad-03.braze.com'
param brazeApiKey = 'SECRET-default-7c41'
param brazeWorkspaces = [
  { name: 'brandb', restEndpoint: 'https://rest.iad-05.braze.com' }
  { name: 'eu', restEndpoint: 'https://rest.fra-02.braze.eu' }
]
param brazeWorkspaceApiKeys = {
  brandb: 'SECRET-brandb-19fe'
  eu: 'SECRET-eu-52d0'
}
param ingressSharedSecret = 'SECRET-ingress-current-0b6a'
param ingressNextSharedSecret = 'SECRET-ingress-next-e3d9'
param ingressAllowedCidrs = [
  '52.58.142.242/32'
  '203.0.113.7/24'
]
param vnetEnabled = true
param vnetAddressPrefix = '10.42.0.0/16'
param storageReadLogsEnabled = true
param queueDepthAlertThreshold = 25000
param queueOldestAgeAlertSeconds = 900
param ingressRejectedAlertThreshold = 3
param alertEmail = 'ops@example.com'
