// The operator's workbook. Its content lives in relay.workbook.json so it can be edited in the portal, exported
// and pasted back; the queries use the instrument names of RelayMetrics.

@description('Display name in the portal.')
param displayName string

@description('Azure region.')
param location string

@description('Tags for the workbook.')
param tags object

@description('Resource id of the Application Insights component the workbook reads.')
param appInsightsId string

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // Workbook names must be GUIDs; deriving it keeps redeployments idempotent.
  name: guid(resourceGroup().id, displayName, 'braze-relay-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsightsId
    serializedData: loadTextContent('relay.workbook.json')
  }
}

output id string = workbook.id
