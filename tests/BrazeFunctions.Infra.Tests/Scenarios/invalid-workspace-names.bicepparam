// Names that break ^[a-z][a-z0-9]{0,23}$ in three ways; the deployment must stop and name each of them.
using '../../../infra/main.bicep'

param environmentName = 'relaybadnames'
param location = 'westeurope'
param brazeRestEndpoint = 'https://rest.iad-01.braze.com'
param brazeApiKey = 'SECRET-default-3d5b'
param brazeWorkspaces = [
  { name: 'Brand-B', restEndpoint: 'https://rest.iad-01.braze.com' }
  { name: '9lives', restEndpoint: 'https://rest.iad-01.braze.com' }
  { name: 'eu_west', restEndpoint: 'https://rest.fra-01.braze.eu' }
]
param brazeWorkspaceApiKeys = {
  'Brand-B': 'SECRET-b-0000'
  '9lives': 'SECRET-9-0000'
  eu_west: 'SECRET-eu-0000'
}
