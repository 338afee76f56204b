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

// Braze's documented REST hosts, one per instance (there is no US-09). A literal union type, so a typo fails before the
// deployment starts, for the single-workspace parameter and for every entry of brazeWorkspaces alike.
@export()
@description('REST endpoint of a Braze instance (Settings > APIs and Identifiers).')
type brazeRestHost =
  | 'https://rest.iad-01.braze.com'
  | 'https://rest.iad-02.braze.com'
  | 'https://rest.iad-03.braze.com'
  | 'https://rest.iad-04.braze.com'
  | 'https://rest.iad-05.braze.com'
  | 'https://rest.iad-06.braze.com'
  | 'https://rest.iad-07.braze.com'
  | 'https://rest.iad-08.braze.com'
  | 'https://rest.us-10.braze.com'
  | 'https://rest.fra-01.braze.eu'
  | 'https://rest.fra-02.braze.eu'
  | 'https://rest.au-01.braze.com'
  | 'https://rest.id-01.braze.com'
  | 'https://rest.jp-01.braze.com'
  | 'https://rest.kr-01.braze.com'

@export()
@description('A named Braze workspace. Its API key is given separately, in brazeWorkspaceApiKeys.')
type brazeWorkspace = {
  @description('Name templates use in their front matter (workspace: <name>): ^[a-z][a-z0-9]{0,23}$, so it is valid in app settings, Key Vault secret names and .NET configuration keys alike.')
  @minLength(1)
  @maxLength(24)
  name: string

  @description('REST endpoint of the workspace\'s Braze instance.')
  restEndpoint: brazeRestHost
}

// The single-workspace form is on when this endpoint is given: a plain value, so What-If and the tests can tell which
// settings the app gets without reading a secret.
@description('REST endpoint of the workspace "default" in the single-workspace form (Braze__RestEndpoint, with brazeApiKey). Empty when brazeWorkspaces names a "default" workspace.')
param brazeRestEndpoint brazeRestHost | '' = ''

@secure()
@description('Braze REST API key of the workspace "default" in the single-workspace form (Braze__ApiKey), with the permissions the templates need (users.track, canvas.trigger.send, ...). Required when brazeRestEndpoint is given. Stored in Key Vault only.')
param brazeApiKey string = ''

@description('Named Braze workspaces (Braze__Workspaces__<name>__*), e.g. [{name: \'eu\', restEndpoint: \'https://rest.fra-02.braze.eu\'}]. The keys go in brazeWorkspaceApiKeys.')
param brazeWorkspaces brazeWorkspace[] = []

// An object, not a field of brazeWorkspaces: @secure() protects a whole parameter, and a key inside an array entry would
// stay readable in the deployment history.
@secure()
@description('REST API key of every workspace in brazeWorkspaces, by name: {eu: \'<key>\', ...}. Stored in Key Vault only.')
param brazeWorkspaceApiKeys object = {}

@secure()
@description('Optional shared secret Braze sends in the ingress secret header; empty turns the check off (the function key still guards the ingress).')
param ingressSharedSecret string = ''

@secure()
@description('Optional next shared secret, accepted beside the current one while Braze is switched over (Ingress__NextSharedSecret); empty when no rotation is under way.')
param ingressNextSharedSecret string = ''

@description('Header that carries the ingress shared secret (Ingress__SecretHeader); Braze sends it as a custom header.')
param ingressHeaderName string = 'X-Relay-Secret'

// Why 20, not the platform's 100: the rate limit belongs to the Braze workspace, not to an instance, so instances beyond
// what one outbox queue can feed only wait for budget (billed) and read the shared pacing record. One Storage queue
// serves about 2,000 messages/s; an instance with host.json's batchSize + newBatchThreshold in flight (32 + 225 = 257
// messages, each held for the linger plus one Braze round trip, 0.3-1.1 s) moves roughly 230-850 messages/s, so about
// 3-9 instances already drain the queue at its ceiling. Queue-length scaling would otherwise add instances for every
// backlog of a campaign burst. The cap applies per Flex scale group: the queue trigger and the HTTP ingress each get it.
@description('Most instances each Flex Consumption scale group (the queue trigger, the HTTP ingress, each timer) scales out to. See docs/deploy.md before raising it.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 20

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Private mode: storage (blob, queue, table) and Key Vault only behind private endpoints with private DNS zones, public network access off, the app on VNet integration.')
param vnetEnabled bool = false

@description('Address space of the virtual network created in private mode (/23 or larger): the first /24 holds the private endpoints, the second the app\'s delegated integration subnet.')
param vnetAddressPrefix string = '10.0.0.0/16'

@description('CIDR ranges allowed to call the app (e.g. Braze\'s egress ranges for your instance, see docs/deploy.md); empty leaves the ingress open. The SCM site is not affected; Application Insights availability tests stay allowed.')
param ingressAllowedCidrs string[] = []

@description('Also send storage read logs (StorageRead) to Log Analytics. Off by default: queue polling and host leases make reads most of the volume; writes and deletes are always logged.')
param storageReadLogsEnabled bool = false

@description('E-mail address for alerts; empty creates the action group without a receiver.')
param alertEmail string = ''

@description('Rate-limited (429) answers per 5 minutes above which a window counts as failing; 3 failing windows in a row alert.')
@minValue(1)
param rateLimitedAlertThreshold int = 20

@description('Outbox messages waiting (relay.queue.depth) above which a 5-minute window counts as failing; 3 failing windows in a row alert. 100,000 is under a minute of work at the queue\'s ceiling, so a backlog that stays above it means deliveries are slow, not merely busy.')
@minValue(1)
param queueDepthAlertThreshold int = 100000

@description('Age in seconds of the oldest waiting outbox message (relay.queue.oldest_age) above which a 5-minute window counts as failing; 3 failing windows in a row alert.')
@minValue(60)
param queueOldestAgeAlertSeconds int = 3600

@description('Ingress 4xx answers (relay.webhooks.rejected, any 4xx status) per 5 minutes above which the spike alert fires. Braze does not retry 401, 404 or 400: each one is a lost webhook.')
@minValue(1)
param ingressRejectedAlertThreshold int = 10

@description('Object id of an operator (user, group or service principal) to give the queue and table data roles on the relay\'s storage account, so the CLI can trace webhooks and list, replay and purge dead letters with Microsoft Entra ID; empty grants nothing.')
param operatorPrincipalId string = ''

@description('Kind of the operator principal in operatorPrincipalId.')
param operatorPrincipalType 'User' | 'Group' | 'ServicePrincipal' = 'User'

@description('Turn on Key Vault purge protection (cannot be turned off again). Recommended for production.')
param enableKeyVaultPurgeProtection bool = true

// Purge protection keeps a deleted vault, and its name, for softDeleteRetentionInDays (90): `azd down` then `azd up` of the
// same environment would ask for a vault whose name is still taken. These two are the ways out (docs/deploy.md).
@description('Optional suffix of the Key Vault name (1-7 lower-case letters and digits): a new suffix gives the environment a new vault, which the deployment fills with the secrets again. Empty keeps the name kv-<token>.')
@maxLength(7)
param keyVaultNameSuffix string = ''

@description('Recover the soft-deleted Key Vault of this name (createMode recover) instead of creating it. Set it for the one deployment after `azd down`, then clear it: a vault that is not in the deleted state cannot be recovered.')
param keyVaultRecover bool = false

@description('Application Insights availability test locations for GET /api/health.')
param availabilityLocations array = [
  'emea-nl-ams-azr'
  'emea-gb-db3-azr'
  'us-va-ash-azr'
  'us-ca-sjc-azr'
  'apac-sg-sin-azr'
]

// Workspace names end up in app settings, Key Vault secret names and configuration keys; Bicep has no regular
// expressions, so ^[a-z][a-z0-9]{0,23}$ is spelled out (the length limits are on the brazeWorkspace type).
func isWorkspaceName(name string) bool =>
  contains('abcdefghijklmnopqrstuvwxyz', substring(name, 0, 1)) && empty(filter(
    range(0, length(name)),
    i => !contains('abcdefghijklmnopqrstuvwxyz0123456789', substring(name, i, 1))
  ))

func isLowerAlphanumeric(text string) bool =>
  empty(filter(range(0, length(text)), i => !contains('abcdefghijklmnopqrstuvwxyz0123456789', substring(text, i, 1))))

// The names the code uses: OutboxOptions.DefaultQueueName and its PoisonQueueName (queue name + "-poison"), which is
// also where the Functions host moves a message after maxDequeueCount. The infra tests hold these in step.
var outboxQueueName = 'braze-outbox'
var poisonQueueName = 'braze-outbox-poison'
// The claim-check's container: OutboxOptions.DefaultBodyContainer (Outbox__BodyContainer).
var bodyContainerName = 'braze-outbox-bodies'
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
var keyVaultName = empty(keyVaultNameSuffix)
  ? 'kv-${take(token, 13)}'
  : isLowerAlphanumeric(keyVaultNameSuffix)
      ? 'kv-${take(token, 13)}-${keyVaultNameSuffix}'
      : fail('keyVaultNameSuffix "${keyVaultNameSuffix}" must be 1-7 lower-case letters and digits (Key Vault names allow no more).')
var appInsightsName = 'appi-${prefix}-${token}'

// The workspace "default" comes either from the single-workspace parameters (Braze__RestEndpoint, Braze__ApiKey) or
// from a brazeWorkspaces entry named "default", never both: the app refuses to start with both keys set.
var singleWorkspaceForm = !empty(brazeRestEndpoint)
var workspaceNames = map(brazeWorkspaces, w => w.name)
// These checks read no secret, so the validated list stays a plain value that What-If and the tests can expand.
var workspaceProblems = concat(
  map(filter(workspaceNames, n => !isWorkspaceName(n)), n => 'workspace name "${n}" must match ^[a-z][a-z0-9]{0,23}$'),
  length(union(workspaceNames, [])) == length(workspaceNames) ? [] : ['brazeWorkspaces names a workspace twice'],
  singleWorkspaceForm && contains(workspaceNames, 'default')
    ? ['brazeRestEndpoint/brazeApiKey and a brazeWorkspaces entry named "default" both define the workspace "default"; keep one']
    : [],
  singleWorkspaceForm || contains(workspaceNames, 'default')
    ? []
    : ['no workspace "default": set BRAZE_REST_ENDPOINT and BRAZE_API_KEY, or add a brazeWorkspaces entry named "default"']
)
var checkedWorkspaces = empty(workspaceProblems)
  ? map(brazeWorkspaces, w => {
      name: w.name
      restEndpoint: w.restEndpoint
      // One place names the secrets: the Key Vault module writes them, the app settings reference them.
      secretName: 'braze-api-key-${w.name}'
    })
  : fail('Invalid Braze workspaces: ${join(workspaceProblems, '; ')}.')
// An empty key would surface only as 401s from Braze; stopping the deployment says what is missing.
var checkedBrazeApiKey = singleWorkspaceForm && empty(brazeApiKey)
  ? fail('brazeRestEndpoint is set but brazeApiKey is empty: set BRAZE_API_KEY (azd env set BRAZE_API_KEY ...) or pass brazeApiKey=... to the deployment.')
  : brazeApiKey

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: 'id-${prefix}-${token}'
    location: location
    tags: tags
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

module network 'modules/network.bicep' = if (vnetEnabled) {
  name: 'network'
  params: {
    name: 'vnet-${prefix}-${token}'
    location: location
    tags: tags
    addressPrefix: vnetAddressPrefix
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
    privateOnly: vnetEnabled
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
    readLogsEnabled: storageReadLogsEnabled
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: keyVaultName
    location: location
    tags: tags
    enablePurgeProtection: enableKeyVaultPurgeProtection
    recoverSoftDeleted: keyVaultRecover
    softDeleteRetentionInDays: 90
    privateOnly: vnetEnabled
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
    brazeApiKey: checkedBrazeApiKey
    storeBrazeApiKey: singleWorkspaceForm
    workspaceSecrets: checkedWorkspaces
    // Checked against the workspaces inside the module, where What-If and the tests can still expand the rest.
    workspaceApiKeys: brazeWorkspaceApiKeys
    ingressSharedSecret: ingressSharedSecret
    storeIngressSecret: !empty(ingressSharedSecret)
    ingressNextSharedSecret: ingressNextSharedSecret
    storeIngressNextSecret: !empty(ingressNextSharedSecret)
  }
}

module privateEndpoints 'modules/privateendpoints.bicep' = if (vnetEnabled) {
  name: 'private-endpoints'
  params: {
    location: location
    tags: tags
    namePrefix: '${prefix}-${token}'
    virtualNetworkId: network!.outputs.id
    subnetId: network!.outputs.privateEndpointSubnetId
    storageAccountId: storage.outputs.id
    keyVaultId: keyVault.outputs.id
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

module operatorAccess 'modules/operatoraccess.bicep' = if (!empty(operatorPrincipalId)) {
  name: 'operator-access'
  dependsOn: [
    storage
  ]
  params: {
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
    storageAccountName: storageAccountName
  }
}

// The claim-check (issue 18): the container of big webhook bodies and the identity's role on that container alone.
module bodies 'modules/bodies.bicep' = {
  name: 'bodies'
  dependsOn: [
    storage
  ]
  params: {
    storageAccountName: storageAccountName
    containerName: bodyContainerName
    #disable-next-line what-if-short-circuiting
    principalId: identity.outputs.principalId
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  // The roles must exist before the host starts, or its first storage, Key Vault and telemetry calls are refused; in
  // private mode so must the private endpoints and their DNS records.
  dependsOn: [
    roles
    bodies
    privateEndpoints
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
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    outboxQueueName: outboxQueueName
    appInsightsConnectionString: monitoring.outputs.connectionString
    logAnalyticsWorkspaceId: monitoring.outputs.workspaceId
    brazeRestEndpoint: brazeRestEndpoint
    brazeApiKeyUri: keyVault.outputs.brazeApiKeyUri
    brazeWorkspaces: checkedWorkspaces
    keyVaultUri: keyVault.outputs.uri
    ingressSecretUri: keyVault.outputs.ingressSecretUri
    ingressNextSecretUri: keyVault.outputs.ingressNextSecretUri
    ingressHeaderName: ingressHeaderName
    ingressAllowedCidrs: ingressAllowedCidrs
    virtualNetworkSubnetId: vnetEnabled ? network!.outputs.appSubnetId : ''
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
    outboxQueueName: outboxQueueName
    poisonQueueName: poisonQueueName
    queueDepthThreshold: queueDepthAlertThreshold
    queueOldestAgeSeconds: queueOldestAgeAlertSeconds
    ingressRejectedPer5Minutes: ingressRejectedAlertThreshold
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

@description('Key Vault holding the Braze API keys and the ingress secrets.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
