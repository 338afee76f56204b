// Alert rules an operator acts on, all sent to one action group: any dead letter, sustained Braze rate limiting,
// ingress failures, and the health endpoint failing from outside. The log queries read customMetrics (meter
// BrazeFunctions.Relay, instrument names as RelayMetrics defines them) and requests.

@description('Prefix of the alert rule names.')
param namePrefix string

@description('Azure region of the Application Insights component (log alerts and web tests live beside it).')
param location string

@description('Tags for the resources.')
param tags object

@description('Resource id of the Application Insights component the rules query.')
param appInsightsId string

@description('Public URL of GET /api/health.')
param healthUrl string

@description('E-mail address that receives alerts; empty creates the action group without a receiver.')
param alertEmail string

@description('Rate-limited (429) answers per 5 minutes that count as a failing period; 3 failing periods in a row fire.')
@minValue(1)
param rateLimitedPer5Minutes int

@description('Availability test locations (Application Insights location ids).')
param availabilityLocations array

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-${namePrefix}'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: take('brzrelay${uniqueString(namePrefix)}', 12)
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource deadLetterAlert 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: 'alert-${namePrefix}-dead-letter'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Braze relay: webhook dead-lettered'
    description: 'A webhook was moved to braze-outbox-poison (relay.deliveries.dead_lettered). It will not be delivered until it is replayed; the reason names the cause (http_400, http_401, http_404, template_error, retries_exhausted, invalid_envelope).'
    severity: 2
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'customMetrics\n| where name == "relay.deliveries.dead_lettered"\n| extend route = tostring(customDimensions.route), reason = tostring(customDimensions.reason)\n| project timestamp, route, reason, DeadLettered = valueSum'
          timeAggregation: 'Total'
          metricMeasureColumn: 'DeadLettered'
          dimensions: [
            {
              name: 'route'
              operator: 'Include'
              values: [
                '*'
              ]
            }
            {
              name: 'reason'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource rateLimitAlert 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: 'alert-${namePrefix}-rate-limited'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Braze relay: sustained Braze rate limiting (429)'
    description: 'Braze answered 429 more than the threshold in each of three consecutive 5-minute windows (relay.deliveries.rate_limited). Deliveries are deferred, not lost, but they age; check the workspace\'s rate limits and other API callers.'
    severity: 3
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'customMetrics\n| where name == "relay.deliveries.rate_limited"\n| extend endpoint = tostring(customDimensions.endpoint)\n| project timestamp, endpoint, RateLimited = valueSum'
          timeAggregation: 'Total'
          metricMeasureColumn: 'RateLimited'
          dimensions: [
            {
              name: 'endpoint'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: rateLimitedPer5Minutes
          failingPeriods: {
            numberOfEvaluationPeriods: 3
            minFailingPeriodsToAlert: 3
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource ingressAlert 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = {
  name: 'alert-${namePrefix}-ingress-failures'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Braze relay: ingress failures'
    description: 'POST /api/hooks/{route} answered 5xx (requests of function WebhookIngress) or could not queue a webhook (relay.webhooks.rejected with status 503). Braze retries these for a while, then drops them: check storage and the function app.'
    severity: 1
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'union\n    (requests\n    | where name == "WebhookIngress" and toint(resultCode) >= 500\n    | project timestamp, source = "http_5xx", Failures = todouble(itemCount)),\n    (customMetrics\n    | where name == "relay.webhooks.rejected" and tostring(customDimensions.status) == "503"\n    | project timestamp, source = "storage_unavailable", Failures = valueSum)'
          timeAggregation: 'Total'
          metricMeasureColumn: 'Failures'
          dimensions: [
            {
              name: 'source'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource healthTest 'Microsoft.Insights/webtests@2022-06-15' = {
  name: 'webtest-${namePrefix}-health'
  location: location
  // Application Insights shows a web test only when it carries this hidden link to the component.
  tags: union(tags, {
    'hidden-link:${appInsightsId}': 'Resource'
  })
  kind: 'standard'
  properties: {
    SyntheticMonitorId: 'webtest-${namePrefix}-health'
    Name: 'Braze relay health'
    Description: 'GET /api/health must answer 200 (the outbox queue answers).'
    Enabled: true
    Frequency: 300
    Timeout: 30
    Kind: 'standard'
    RetryEnabled: true
    Locations: [for id in availabilityLocations: {
      Id: id
    }]
    Request: {
      RequestUrl: healthUrl
      HttpVerb: 'GET'
      ParseDependentRequests: false
    }
    ValidationRules: {
      ExpectedHttpStatusCode: 200
      SSLCheck: true
      SSLCertRemainingLifetimeCheck: 7
    }
  }
}

resource healthAlert 'Microsoft.Insights/metricAlerts@2026-01-01' = {
  name: 'alert-${namePrefix}-health'
  location: 'global'
  tags: tags
  properties: {
    description: 'GET /api/health failed from at least two test locations: the app is down or cannot reach its outbox queue, so webhooks are refused.'
    severity: 1
    enabled: true
    scopes: [
      healthTest.id
      appInsightsId
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.WebtestLocationAvailabilityCriteria'
      webTestId: healthTest.id
      componentId: appInsightsId
      failedLocationCount: 2
    }
    autoMitigate: true
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}

output actionGroupId string = actionGroup.id
