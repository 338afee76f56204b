// The relay's Function App on Flex Consumption (FC1). Every connection is identity-based: AzureWebJobsStorage__*
// settings for the host and the queue trigger, Key Vault references for secrets, Entra ID auth for telemetry.

@description('Function App name (also the host name prefix).')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region.')
param location string

@description('Tags for the plan.')
param tags object

@description('Tags for the app; azd finds the app to deploy to by its azd-service-name tag.')
param appTags object

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity (AzureWebJobsStorage__clientId, telemetry auth).')
param identityClientId string

@description('Blob endpoint of the storage account.')
param storageBlobEndpoint string

@description('Queue endpoint of the storage account.')
param storageQueueEndpoint string

@description('URL of the blob container holding the deployment package.')
param deploymentContainerUrl string

@description('Outbox queue name (Outbox__QueueName, read by the queue trigger as %Outbox:QueueName%).')
param outboxQueueName string

@description('Application Insights connection string.')
param appInsightsConnectionString string

@description('Braze REST endpoint of the workspace\'s instance.')
param brazeRestEndpoint string

@description('Key Vault URI of the Braze API key secret.')
param brazeApiKeyUri string

@description('Key Vault URI of the ingress shared secret; empty when no secret is configured.')
param ingressSecretUri string

@description('Header that carries the ingress shared secret (Ingress__SecretHeader).')
param ingressHeaderName string

@description('Upper bound of instances Flex Consumption scales out to.')
param maximumInstanceCount int

@description('Memory per instance in MB.')
param instanceMemoryMB int

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: appTags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [
        // Host storage and the queue trigger's connection "AzureWebJobsStorage", without a key.
        {
          name: 'AzureWebJobsStorage__blobServiceUri'
          value: storageBlobEndpoint
        }
        {
          name: 'AzureWebJobsStorage__queueServiceUri'
          value: storageQueueEndpoint
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'AzureWebJobsStorage__clientId'
          value: identityClientId
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsightsConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'ClientId=${identityClientId};Authorization=AAD'
        }
        {
          name: 'Outbox__QueueName'
          value: outboxQueueName
        }
        {
          name: 'Braze__RestEndpoint'
          value: brazeRestEndpoint
        }
        {
          name: 'Braze__ApiKey'
          value: '@Microsoft.KeyVault(SecretUri=${brazeApiKeyUri})'
        }
        // Always present so a redeployment without a secret switches the check off visibly, not by a stale value;
        // an empty value is how IngressOptions spells "no shared secret".
        {
          name: 'Ingress__SharedSecret'
          value: empty(ingressSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${ingressSecretUri})'
        }
        {
          name: 'Ingress__SecretHeader'
          value: ingressHeaderName
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = app.name
output id string = app.id
output defaultHostName string = app.properties.defaultHostName
