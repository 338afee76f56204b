// Subscription-scoped entry of the relay for the Azure Developer CLI (azure.yaml: infra.module subscription), as azd's
// templates do it: creates the resource group, tagged azd-env-name so that azd finds it, and deploys main.bicep into it.
// main.bicep stays resource-group scoped and usable on its own (`az deployment group create`, or as a module elsewhere).
// Every parameter is main.bicep's, declared alike and passed through unchanged; the infra tests hold the two lists equal.
targetScope = 'subscription'

import { brazeRestHost, brazeWorkspace } from 'main.bicep'

@description('Environment name (azd AZURE_ENV_NAME): letters, digits and hyphens; prefixes every resource name.')
@minLength(2)
@maxLength(20)
param environmentName string

@description('Azure region of every resource.')
param location string

@description('Resource group the relay lives in, created when missing and tagged azd-env-name; empty: rg-<environmentName>.')
@maxLength(90)
param resourceGroupName string = ''

@description('REST endpoint of the workspace "default" in the single-workspace form (Braze__RestEndpoint, with brazeApiKey). Empty when brazeWorkspaces names a "default" workspace.')
param brazeRestEndpoint brazeRestHost | '' = ''

@secure()
@description('Braze REST API key of the workspace "default" in the single-workspace form (Braze__ApiKey), with the permissions the templates need (users.track, canvas.trigger.send, ...). Required when brazeRestEndpoint is given. Stored in Key Vault only.')
param brazeApiKey string = ''

@description('Named Braze workspaces (Braze__Workspaces__<name>__*), e.g. [{name: \'eu\', restEndpoint: \'https://rest.fra-02.braze.eu\'}]. The keys go in brazeWorkspaceApiKeys.')
param brazeWorkspaces brazeWorkspace[] = []

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

resource group 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: {
    'azd-env-name': environmentName
    application: 'braze-functions-relay'
  }
}

module relay 'main.bicep' = {
  name: 'relay-${environmentName}'
  scope: group
  params: {
    environmentName: environmentName
    location: location
    brazeRestEndpoint: brazeRestEndpoint
    brazeApiKey: brazeApiKey
    brazeWorkspaces: brazeWorkspaces
    brazeWorkspaceApiKeys: brazeWorkspaceApiKeys
    ingressSharedSecret: ingressSharedSecret
    ingressNextSharedSecret: ingressNextSharedSecret
    ingressHeaderName: ingressHeaderName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    vnetEnabled: vnetEnabled
    vnetAddressPrefix: vnetAddressPrefix
    ingressAllowedCidrs: ingressAllowedCidrs
    storageReadLogsEnabled: storageReadLogsEnabled
    alertEmail: alertEmail
    rateLimitedAlertThreshold: rateLimitedAlertThreshold
    queueDepthAlertThreshold: queueDepthAlertThreshold
    queueOldestAgeAlertSeconds: queueOldestAgeAlertSeconds
    ingressRejectedAlertThreshold: ingressRejectedAlertThreshold
    operatorPrincipalId: operatorPrincipalId
    operatorPrincipalType: operatorPrincipalType
    enableKeyVaultPurgeProtection: enableKeyVaultPurgeProtection
    keyVaultNameSuffix: keyVaultNameSuffix
    keyVaultRecover: keyVaultRecover
    availabilityLocations: availabilityLocations
  }
}

@description('Resource group of the relay (azd deploys into it).')
output AZURE_RESOURCE_GROUP string = group.name

@description('Name of the Function App (azd deploys the relay service to it).')
output AZURE_FUNCTION_APP_NAME string = relay.outputs.AZURE_FUNCTION_APP_NAME

@description('URL to paste into a Braze webhook; replace {route} with a template route.')
output WEBHOOK_URL_PATTERN string = relay.outputs.WEBHOOK_URL_PATTERN

@description('Anonymous health endpoint the availability test calls.')
output HEALTH_URL string = relay.outputs.HEALTH_URL

@description('Resource id of Application Insights (workbook, alerts, logs).')
output APPLICATIONINSIGHTS_RESOURCE_ID string = relay.outputs.APPLICATIONINSIGHTS_RESOURCE_ID

@description('Key Vault holding the Braze API keys and the ingress secrets.')
output AZURE_KEY_VAULT_NAME string = relay.outputs.AZURE_KEY_VAULT_NAME
