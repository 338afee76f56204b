// Parameters for `azd up` and `az deployment group create`. Values come from the environment so that no secret
// is ever written here: azd reads them from .azure/<env>/.env (azd env set NAME value); with the az CLI, export them
// or override on the command line (--parameters brazeApiKey=...).
using './main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'brazerelay')
param location = readEnvironmentVariable('AZURE_LOCATION', 'westeurope')
param brazeRestEndpoint = readEnvironmentVariable('BRAZE_REST_ENDPOINT', 'https://rest.iad-01.braze.com')
param brazeApiKey = readEnvironmentVariable('BRAZE_API_KEY', '')
param ingressSharedSecret = readEnvironmentVariable('RELAY_INGRESS_SECRET', '')
param ingressHeaderName = readEnvironmentVariable('RELAY_INGRESS_HEADER_NAME', 'X-Relay-Secret')
param maximumInstanceCount = int(readEnvironmentVariable('RELAY_MAXIMUM_INSTANCE_COUNT', '40'))
// 512, 2048 or 4096.
param instanceMemoryMB = 2048
param alertEmail = readEnvironmentVariable('RELAY_ALERT_EMAIL', '')
param rateLimitedAlertThreshold = int(readEnvironmentVariable('RELAY_RATE_LIMITED_ALERT_THRESHOLD', '20'))
param enableKeyVaultPurgeProtection = bool(readEnvironmentVariable('RELAY_KEY_VAULT_PURGE_PROTECTION', 'true'))
