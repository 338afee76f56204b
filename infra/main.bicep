// BrazeFunctions relay: Flex Consumption Function App with identity-only access to storage, Key Vault and
// Application Insights, plus the operator's workbook and alert rules. Deploy with `azd up` or
// `az deployment group create --parameters infra/main.bicepparam` (see docs/deploy.md).
targetScope = 'resourceGroup'

@description('Environment name (azd AZURE_ENV_NAME): letters, digits and hyphens; prefixes every resource name.')
@minLength(2)
@maxLength(20)
param environmentName string

@description('Azure region of every resource.')
param location string

@description('REST endpoint of the Braze instance the workspace lives on (Settings > APIs and Identifiers). There is no US-09.')
@allowed([
  'https://rest.iad-01.braze.com'
  'https://rest.iad-02.braze.com'
  'https://rest.iad-03.braze.com'
  'https://rest.iad-04.braze.com'
  'https://rest.iad-05.braze.com'
  'https://rest.iad-06.braze.com'
  'https://rest.iad-07.braze.com'
  'https://rest.iad-08.braze.com'
  'https://rest.us-10.braze.com'
  'https://rest.fra-01.braze.eu'
  'https://rest.fra-02.braze.eu'
  'https://rest.au-01.braze.com'
  'https://rest.id-01.braze.com'
  'https://rest.jp-01.braze.com'
  'https://rest.kr-01.braze.com'
])
param brazeRestEndpoint string

@secure()
@description('Braze REST API key with the permissions the templates need (users.track, canvas.trigger.send, ...). Stored in Key Vault only.')
param brazeApiKey string

@secure()
@description('Optional shared secret Braze sends in the ingress secret header; empty turns the check off (the function key still guards the ingress).')
param ingressSharedSecret string

@description('Header that carries the ingress shared secret (Ingress__SecretHeader); Braze sends it as a custom header.')
param ingressHeaderName string = 'X-Relay-Secret'

@description('Most instances Flex Consumption scales out to; bounds the load the relay can put on Braze.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('E-mail address for alerts; empty creates the action group without a receiver.')
param alertEmail string = ''

@description('Rate-limited (429) answers per 5 minutes above which a window counts as failing; 3 failing windows in a row alert.')
@minValue(1)
param rateLimitedAlertThreshold int = 20

@description('Turn on Key Vault purge protection (cannot be turned off again). Recommended for production.')
param enableKeyVaultPurgeProtection bool = true

@description('Application Insights availability test locations for GET /api/health.')
param availabilityLocations array = [
  'emea-nl-ams-azr'
  'emea-gb-db3-azr'
  'us-va-ash-azr'
  'us-ca-sjc-azr'
  'apac-sg-sin-azr'
]

// The names the code uses: OutboxOptions.DefaultQueueName and its PoisonQueueName (queue name + "-poison"), which is
// also where the Functions host moves a message after maxDequeueCount. The infra tests hold these in step.
var outboxQueueName = 'braze-outbox'
var poisonQueueName = 'braze-outbox-poison'
var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var prefix = toLower(environmentName)
var tags = {
  'azd-env-name': environmentName
  application: 'braze-functions-relay'
}
var appName = 'func-${prefix}-${token}'
// Names are computed here, not read from module outputs, so What-If can predict every resource id.
// Storage names allow only lower-case letters and digits: 2 + at most 9 + 13 characters keeps the whole token.
var storageAccountName = 'st${take(replace(replace(prefix, '-', ''), '_', ''), 9)}${token}'
var keyVaultName = 'kv-${take(token, 13)}'
var appInsightsName = 'appi-${prefix}-${token}'
// An empty key would surface only as 401s from Braze and dead letters; stopping the deployment says what is missing.
var checkedBrazeApiKey = empty(brazeApiKey) ? fail('brazeApiKey is empty: set BRAZE_API_KEY (azd env set BRAZE_API_KEY ...) or pass brazeApiKey=... to the deployment.') : brazeApiKey

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${prefix}-${token}'
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: storageAccountName
    location: location
    tags: tags
    outboxQueueName: outboxQueueName
    poisonQueueName: poisonQueueName
    deploymentContainerName: 'app-package-${take(token, 8)}'
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: 'log-${prefix}-${token}'
    appInsightsName: appInsightsName
    location: location
    tags: tags
    retentionInDays: 30
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: keyVaultName
    location: location
    tags: tags
    enablePurgeProtection: enableKeyVaultPurgeProtection
    softDeleteRetentionInDays: 90
    brazeApiKey: checkedBrazeApiKey
    ingressSharedSecret: ingressSharedSecret
    storeIngressSecret: !empty(ingressSharedSecret)
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  dependsOn: [
    storage
    keyVault
    monitoring
  ]
  params: {
    // The principal id is known only once the identity exists. It is part of the assignment names on purpose:
    // a re-created identity of the same name gets new assignments instead of a conflict with the stale ones.
    #disable-next-line what-if-short-circuiting
    principalId: identity.outputs.principalId
    storageAccountName: storageAccountName
    keyVaultName: keyVaultName
    appInsightsName: appInsightsName
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  // The roles must exist before the host starts, or its first storage, Key Vault and telemetry calls are refused.
  dependsOn: [
    roles
  ]
  params: {
    name: appName
    planName: 'plan-${prefix}-${token}'
    location: location
    tags: tags
    appTags: union(tags, {
      'azd-service-name': 'relay'
    })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    outboxQueueName: outboxQueueName
    appInsightsConnectionString: monitoring.outputs.connectionString
    brazeRestEndpoint: brazeRestEndpoint
    brazeApiKeyUri: keyVault.outputs.brazeApiKeyUri
    ingressSecretUri: keyVault.outputs.ingressSecretUri
    ingressHeaderName: ingressHeaderName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  params: {
    displayName: 'Braze relay (${environmentName})'
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    namePrefix: '${prefix}-${token}'
    location: location
    tags: tags
    appInsightsId: monitoring.outputs.appInsightsId
    healthUrl: 'https://${functionApp.outputs.defaultHostName}/api/health'
    alertEmail: alertEmail
    rateLimitedPer5Minutes: rateLimitedAlertThreshold
    availabilityLocations: availabilityLocations
  }
}

@description('Name of the Function App (azd deploys the relay service to it).')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('URL to paste into a Braze webhook; replace {route} with a template route.')
output WEBHOOK_URL_PATTERN string = 'https://${functionApp.outputs.defaultHostName}/api/hooks/{route}'

@description('Anonymous health endpoint the availability test calls.')
output HEALTH_URL string = 'https://${functionApp.outputs.defaultHostName}/api/health'

@description('Resource id of Application Insights (workbook, alerts, logs).')
output APPLICATIONINSIGHTS_RESOURCE_ID string = monitoring.outputs.appInsightsId

@description('Key Vault holding the Braze API key and the ingress secret.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
