// Parameters of the subscription-scoped entry (subscription.bicep) that `azd up` provisions: the variables of
// main.bicepparam (the infra tests hold the two files in step) plus AZURE_RESOURCE_GROUP. Values come from the environment
// so that no secret is ever written here: azd reads them from .azure/<env>/.env (azd env set NAME value); with the az CLI
// (`az deployment sub create`), export them or override on the command line (--parameters brazeApiKey=...).
using './subscription.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'brazerelay')
param location = readEnvironmentVariable('AZURE_LOCATION', 'westeurope')
// Empty: rg-<environment name>. azd stores the output AZURE_RESOURCE_GROUP in the environment after the first provision.
param resourceGroupName = readEnvironmentVariable('AZURE_RESOURCE_GROUP', '')

// The workspace "default" in the single-workspace form (Braze__RestEndpoint, Braze__ApiKey); leave both unset when
// RELAY_BRAZE_WORKSPACES names a "default" workspace instead.
param brazeRestEndpoint = readEnvironmentVariable('BRAZE_REST_ENDPOINT', '')
param brazeApiKey = readEnvironmentVariable('BRAZE_API_KEY', '')

// Further named workspaces, as JSON, and their keys by name, e.g.
//   azd env set RELAY_BRAZE_WORKSPACES '[{"name":"eu","restEndpoint":"https://rest.fra-02.braze.eu"}]'
//   azd env set RELAY_BRAZE_WORKSPACE_API_KEYS '{"eu":"<braze-rest-api-key>"}'
// which is the same as writing here
//   param brazeWorkspaces = [
//     { name: 'eu', restEndpoint: 'https://rest.fra-02.braze.eu' }
//   ]
// and passing the keys (never write them in this file).
param brazeWorkspaces = json(readEnvironmentVariable('RELAY_BRAZE_WORKSPACES', '[]'))
param brazeWorkspaceApiKeys = json(readEnvironmentVariable('RELAY_BRAZE_WORKSPACE_API_KEYS', '{}'))

param ingressSharedSecret = readEnvironmentVariable('RELAY_INGRESS_SECRET', '')
param ingressNextSharedSecret = readEnvironmentVariable('RELAY_INGRESS_NEXT_SECRET', '')
param ingressHeaderName = readEnvironmentVariable('RELAY_INGRESS_HEADER_NAME', 'X-Relay-Secret')
// Comma-separated CIDR ranges, e.g. Braze's published egress ranges for your instance; empty leaves the ingress open.
param ingressAllowedCidrs = map(
  filter(split(readEnvironmentVariable('RELAY_INGRESS_ALLOWED_CIDRS', ''), ','), cidr => !empty(trim(cidr))),
  cidr => trim(cidr)
)

param vnetEnabled = bool(readEnvironmentVariable('RELAY_VNET_ENABLED', 'false'))
param vnetAddressPrefix = readEnvironmentVariable('RELAY_VNET_ADDRESS_PREFIX', '10.0.0.0/16')
param storageReadLogsEnabled = bool(readEnvironmentVariable('RELAY_STORAGE_READ_LOGS', 'false'))

param maximumInstanceCount = int(readEnvironmentVariable('RELAY_MAXIMUM_INSTANCE_COUNT', '20'))
// 512, 2048 or 4096.
param instanceMemoryMB = 2048
param alertEmail = readEnvironmentVariable('RELAY_ALERT_EMAIL', '')
param rateLimitedAlertThreshold = int(readEnvironmentVariable('RELAY_RATE_LIMITED_ALERT_THRESHOLD', '20'))
param queueDepthAlertThreshold = int(readEnvironmentVariable('RELAY_QUEUE_DEPTH_ALERT_THRESHOLD', '100000'))
param queueOldestAgeAlertSeconds = int(readEnvironmentVariable('RELAY_QUEUE_AGE_ALERT_SECONDS', '3600'))
param ingressRejectedAlertThreshold = int(readEnvironmentVariable('RELAY_INGRESS_4XX_ALERT_THRESHOLD', '10'))
param enableKeyVaultPurgeProtection = bool(readEnvironmentVariable('RELAY_KEY_VAULT_PURGE_PROTECTION', 'true'))
// After `azd down` of a vault with purge protection, its name stays taken for 90 days: either recover it once
// (RELAY_KEY_VAULT_RECOVER=true, then back to false) or give the environment a new vault (RELAY_KEY_VAULT_NAME_SUFFIX).
param keyVaultRecover = bool(readEnvironmentVariable('RELAY_KEY_VAULT_RECOVER', 'false'))
param keyVaultNameSuffix = readEnvironmentVariable('RELAY_KEY_VAULT_NAME_SUFFIX', '')
// An operator (user, group or service principal) to give the queue and table data roles for the CLI, e.g.
//   azd env set RELAY_OPERATOR_PRINCIPAL_ID "$(az ad signed-in-user show --query id -o tsv)"
// or a group's object id with RELAY_OPERATOR_PRINCIPAL_TYPE=Group. Empty grants nothing.
param operatorPrincipalId = readEnvironmentVariable('RELAY_OPERATOR_PRINCIPAL_ID', '')
param operatorPrincipalType = readEnvironmentVariable('RELAY_OPERATOR_PRINCIPAL_TYPE', 'User')
