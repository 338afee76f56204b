// The workspace "default" given twice: by the single-workspace parameters and by a brazeWorkspaces entry. The app
// refuses both keys at start-up, so the deployment must refuse them first.
using '../../../infra/main.bicep'

param environmentName = 'relaytwice'
param location = 'westeurope'
param brazeRestEndpoint = 'https://rest.iad-01.braze.com'
param brazeApiKey = 'SECRET-legacy-11aa'
param brazeWorkspaces = [
  { name: 'default', restEndpoint: 'https://rest.iad-02.braze.com' }
]
param brazeWorkspaceApiKeys = {
  default: 'SECRET-default-22bb'
}
