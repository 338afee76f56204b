// The relay's Function App on Flex Consumption (FC1). Every connection is identity-based: AzureWebJobsStorage__*
// settings for the host, the queue trigger and the app's tables, Key Vault references for secrets, Entra ID auth for
// telemetry. Optional: VNet integration (private mode) and an allow-list of caller ranges on the main site.

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

@description('Table endpoint of the storage account (idempotency records and the shared pacing state).')
param storageTableEndpoint string

@description('URL of the blob container holding the deployment package.')
param deploymentContainerUrl string

@description('Outbox queue name (Outbox__QueueName, read by the queue trigger as %Outbox:QueueName%).')
param outboxQueueName string

@description('Application Insights connection string.')
param appInsightsConnectionString string

@description('Log Analytics workspace that receives the app\'s resource logs and metrics.')
param logAnalyticsWorkspaceId string

@description('Braze REST endpoint of the workspace "default" in the single-workspace form; empty when that form is not used.')
param brazeRestEndpoint string

@description('Key Vault URI of the single-workspace Braze API key secret; empty when that form is not used.')
param brazeApiKeyUri string

@description('Named Braze workspaces: [{name, restEndpoint, secretName}], the secret being in the vault at keyVaultUri.')
param brazeWorkspaces array

@description('URI of the Key Vault (ends with a slash).')
param keyVaultUri string

@description('Key Vault URI of the ingress shared secret; empty when no secret is configured.')
param ingressSecretUri string

@description('Key Vault URI of the next ingress shared secret (rotation); empty when none is configured.')
param ingressNextSecretUri string

@description('Header that carries the ingress shared secret (Ingress__SecretHeader).')
param ingressHeaderName string

@description('CIDR ranges allowed to call the main site; empty leaves it open.')
param ingressAllowedCidrs string[]

@description('Subnet delegated to Microsoft.App/environments for VNet integration; empty without a virtual network.')
param virtualNetworkSubnetId string

@description('Upper bound of instances Flex Consumption scales out to.')
param maximumInstanceCount int

@description('Memory per instance in MB.')
param instanceMemoryMB int

var workspaceSettings = flatten(map(brazeWorkspaces, workspace => [
  {
    name: 'Braze__Workspaces__${workspace.name}__RestEndpoint'
    value: workspace.restEndpoint
  }
  {
    name: 'Braze__Workspaces__${workspace.name}__ApiKey'
    value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/${workspace.secretName})'
  }
]))

// With an allow-list, the main site answers only those ranges and Application Insights' availability tests (which
// call GET /api/health); the SCM site (deployments) keeps its own, unrestricted rules. An access-restriction rule matches
// the caller's source (CIDR, service tag or subnet) and at most four headers (X-Forwarded-Host, X-Forwarded-For,
// X-Azure-FDID, X-FD-HealthProbe): Azure has no path or method condition, so the service-tag rule opens every path to the
// availability ranges, which all Application Insights customers share. The app keeps it to /api/health: that is its only
// anonymous function; every other path needs the function key (docs/deploy.md, "Restrict the ingress to Braze"). parseCidr() refuses a malformed
// range before anything is deployed and normalises host bits (203.0.113.7/24 becomes 203.0.113.0/24).
var restrictIngress = !empty(ingressAllowedCidrs)
var ingressRules = [
  for (cidr, i) in ingressAllowedCidrs: {
    name: 'allowed-${i}'
    description: 'Webhook callers (ingressAllowedCidrs)'
    ipAddress: '${parseCidr(cidr).network}/${parseCidr(cidr).cidr}'
    action: 'Allow'
    priority: 200 + i
  }
]
var availabilityTestRule = {
  name: 'availability-tests'
  description: 'Application Insights availability tests (GET /api/health); Azure rules have no path condition, so it reaches every path, and only /api/health answers without the function key'
  tag: 'ServiceTag'
  ipAddress: 'ApplicationInsightsAvailability'
  action: 'Allow'
  priority: 100
}

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
    // Flex Consumption routes all outbound traffic through the integration subnet, Key Vault references included.
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      ipSecurityRestrictionsDefaultAction: restrictIngress ? 'Deny' : 'Allow'
      ipSecurityRestrictions: restrictIngress ? concat([availabilityTestRule], ingressRules) : []
      scmIpSecurityRestrictionsUseMain: false
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
        // Azure.Data.Tables through the same identity-based connection (idempotency records, shared pacing state).
        {
          name: 'AzureWebJobsStorage__tableServiceUri'
          value: storageTableEndpoint
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
        // Always present so a redeployment without a secret switches the check off visibly, not by a stale value;
        // an empty value is how IngressOptions spells "no shared secret". The next secret is accepted beside the
        // current one while Braze is switched over to it (docs/deploy.md, "Rotate the ingress secret").
        {
          name: 'Ingress__SharedSecret'
          value: empty(ingressSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${ingressSecretUri})'
        }
        {
          name: 'Ingress__NextSharedSecret'
          value: empty(ingressNextSecretUri) ? '' : '@Microsoft.KeyVault(SecretUri=${ingressNextSecretUri})'
        }
        {
          name: 'Ingress__SecretHeader'
          value: ingressHeaderName
        }
        // The single-workspace form stays the workspace "default"; the app refuses both forms for one name, so these
        // two are written only when that form is used (brazeRestEndpoint given).
        ...(empty(brazeRestEndpoint)
          ? []
          : [
              {
                name: 'Braze__RestEndpoint'
                value: brazeRestEndpoint
              }
              {
                name: 'Braze__ApiKey'
                value: '@Microsoft.KeyVault(SecretUri=${brazeApiKeyUri})'
              }
            ])
        ...workspaceSettings
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

// 2021-05-01-preview is the newest API version of diagnostic settings (category groups came with it); the linter
// would accept only the 2016 one.
#disable-next-line use-recent-api-versions
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: app
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    // A category group, not category names: the set of log categories a Flex Consumption app offers differs from other
    // plans, and allLogs follows whatever the platform provides (FunctionAppLogs, IP restriction audits, ...).
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output name string = app.name
output id string = app.id
output defaultHostName string = app.properties.defaultHostName
