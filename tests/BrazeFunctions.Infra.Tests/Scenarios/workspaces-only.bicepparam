// Named workspaces only: the workspace "default" is a brazeWorkspaces entry, so the single-workspace settings
// (Braze__RestEndpoint, Braze__ApiKey) and their secret must not be deployed.
using '../../../infra/main.bicep'

param environmentName = 'relaynamed'
param location = 'westeurope'
param brazeWorkspaces = [
  { name: 'default', restEndpoint: 'https://rest.iad-01.braze.com' }
  { name: 'staging', restEndpoint: 'https://rest.iad-01.braze.com' }
]
param brazeWorkspaceApiKeys = {
  default: 'SECRET-default-a81e'
  staging: 'SECRET-staging-6f2c'
}
