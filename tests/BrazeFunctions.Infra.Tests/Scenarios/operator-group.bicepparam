// An operator group gets the queue and table data roles on the relay's storage account (the CLI's trace and deadletter
// commands sign in with Entra ID: shared keys are off).
using '../../../infra/main.bicep'

param environmentName = 'relayops'
param location = 'westeurope'
param brazeRestEndpoint = 'https://rest.fra-02.braze.eu'
param brazeApiKey = 'SECRET-operator-scenario-91c4'
param operatorPrincipalId = '7d1c0f5e-3a5b-4c2e-9f10-2b6d8e4a1c37'
param operatorPrincipalType = 'Group'
