// A Key Vault name suffix with characters a vault name does not allow must stop the deployment with a message.
using '../../../infra/main.bicep'

param environmentName = 'relaybadvault'
param location = 'westeurope'
param brazeRestEndpoint = 'https://rest.fra-02.braze.eu'
param brazeApiKey = 'SECRET-badvault-scenario-77e0'
param keyVaultNameSuffix = 'R_2'
