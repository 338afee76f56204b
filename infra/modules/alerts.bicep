// Alert rules an operator acts on, all sent to one action group: any dead letter and any message on the poison queue,
// a growing or ageing outbox, sustained Braze rate limiting, Braze refusing the relay's credentials, ingress failures
// and 4xx spikes, and the health endpoint failing from outside. The log queries read customMetrics (meter
// BrazeFunctions.Relay, instrument names as RelayMetrics defines them; tags in customDimensions) and requests.

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

@description('The outbox queue (tag queue of relay.queue.depth and relay.queue.oldest_age).')
param outboxQueueName string

@description('The dead-letter queue; any message on it alerts.')
param poisonQueueName string

@description('Waiting outbox messages that count as a failing 5-minute period; 3 failing periods in a row fire.')
@minValue(1)
param queueDepthThreshold int

@description('Age in seconds of the oldest waiting outbox message that counts as a failing 5-minute period; 3 in a row fire.')
@minValue(60)
param queueOldestAgeSeconds int

@description('Ingress 4xx answers per 5 minutes above which the spike alert fires.')
@minValue(1)
param ingressRejectedPer5Minutes int

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

// One row per log alert rule; every rule reads customMetrics (or requests) over 5-minute windows and alerts the action
// group. relay.queue.depth and relay.queue.oldest_age come from the relay's own timer probe (peek plus the envelope's
// receivedAt): Azure Storage's queue metrics are per account and hourly, too coarse to alert on.
var logAlerts = [
  {
    suffix: 'dead-letter'
    displayName: 'Braze relay: webhook dead-lettered'
    description: 'A webhook was moved to ${poisonQueueName} (relay.deliveries.dead_lettered). It will not be delivered until it is replayed; the reason names the cause (http_400, http_404, template_error, retries_exhausted, invalid_envelope, crash_loop, credential_rejected, ambiguous_outcome, ...).'
    severity: 2
    query: 'customMetrics\n| where name == "relay.deliveries.dead_lettered"\n| extend route = tostring(customDimensions.route), reason = tostring(customDimensions.reason)\n| project timestamp, route, reason, DeadLettered = valueSum'
    aggregation: 'Total'
    measure: 'DeadLettered'
    dimensions: ['route', 'reason']
    threshold: 0
    periods: 1
  }
  {
    // Also sees what the Functions host moved by itself after a crash loop, and keeps firing until the queue is empty.
    suffix: 'poison-queue'
    displayName: 'Braze relay: messages on the poison queue'
    description: '${poisonQueueName} holds at least one message (relay.queue.depth). Each one is a webhook that will not be delivered until it is replayed: list them with the CLI (deadletter list), fix the cause its reason names, then replay them (deadletter replay) or remove those that must not be delivered (deadletter purge).'
    severity: 2
    query: 'customMetrics\n| where name == "relay.queue.depth" and tostring(customDimensions.queue) == "${poisonQueueName}"\n| project timestamp, PoisonMessages = valueMax'
    aggregation: 'Maximum'
    measure: 'PoisonMessages'
    dimensions: []
    threshold: 0
    periods: 1
  }
  {
    suffix: 'outbox-depth'
    displayName: 'Braze relay: outbox backlog keeps growing'
    description: 'More than the threshold of messages waited on ${outboxQueueName} (relay.queue.depth) in each of three consecutive 5-minute windows. Nothing is lost, but deliveries lag: look for Braze 429s and credential alerts, the instance cap (maximumInstanceCount), and whether the dispatcher runs at all.'
    severity: 2
    query: 'customMetrics\n| where name == "relay.queue.depth" and tostring(customDimensions.queue) == "${outboxQueueName}"\n| project timestamp, Depth = valueMax'
    aggregation: 'Maximum'
    measure: 'Depth'
    dimensions: []
    threshold: queueDepthThreshold
    periods: 3
  }
  {
    suffix: 'outbox-age'
    displayName: 'Braze relay: outbox messages are ageing'
    description: 'The oldest message waiting on ${outboxQueueName} (relay.queue.oldest_age, seconds since the ingress received it) was older than the threshold in each of three consecutive 5-minute windows. The dispatcher is down, stuck on a credential or rate-limit pause, or far behind; messages older than Dispatch__MaxMessageAge are dead-lettered.'
    severity: 2
    query: 'customMetrics\n| where name == "relay.queue.oldest_age" and tostring(customDimensions.queue) == "${outboxQueueName}"\n| project timestamp, AgeSeconds = valueMax'
    aggregation: 'Maximum'
    measure: 'AgeSeconds'
    dimensions: []
    threshold: queueOldestAgeSeconds
    periods: 3
  }
  {
    suffix: 'rate-limited'
    displayName: 'Braze relay: sustained Braze rate limiting (429)'
    description: 'Braze answered 429 more than the threshold in each of three consecutive 5-minute windows (relay.deliveries.rate_limited). Deliveries are deferred, not lost, but they age; check the workspace\'s rate limits and other API callers.'
    severity: 3
    query: 'customMetrics\n| where name == "relay.deliveries.rate_limited"\n| extend workspace = tostring(customDimensions.workspace), endpoint = tostring(customDimensions.endpoint)\n| project timestamp, workspace, endpoint, RateLimited = valueSum'
    aggregation: 'Total'
    measure: 'RateLimited'
    dimensions: ['workspace', 'endpoint']
    threshold: rateLimitedPer5Minutes
    periods: 3
  }
  {
    suffix: 'braze-credentials'
    displayName: 'Braze relay: Braze refused the API key'
    description: 'Braze answered 401 (key wrong, revoked or for another instance: the whole workspace pauses) or 403 (key lacks the endpoint\'s permission: that endpoint pauses) (relay.braze.credential_rejected). Messages are held, not dead-lettered, until a probe succeeds or they reach Dispatch__MaxMessageAge. Fix the key in Key Vault (docs/deploy.md, "Rotate a workspace\'s API key").'
    severity: 1
    query: 'customMetrics\n| where name == "relay.braze.credential_rejected"\n| extend workspace = tostring(customDimensions.workspace), endpoint = tostring(customDimensions.endpoint), status = tostring(customDimensions.status)\n| project timestamp, workspace, endpoint, status, Rejected = valueSum'
    aggregation: 'Total'
    measure: 'Rejected'
    dimensions: ['workspace', 'endpoint', 'status']
    threshold: 0
    periods: 1
  }
  {
    // Every 503 the ingress answers is counted by relay.webhooks.rejected with its error code, so the requests side
    // leaves 503 out and the metric side leaves out idempotency_key_in_progress: that 503 only asks Braze's retry of a
    // webhook being queued right now to come back in a few seconds, and the retry gets the original message id.
    suffix: 'ingress-failures'
    displayName: 'Braze relay: ingress failures'
    description: 'POST /api/hooks/{route} answered 5xx (requests of function WebhookIngress other than 503) or could not queue a webhook (relay.webhooks.rejected with status 503, by error code; idempotency_key_in_progress is left out because it is not a failure). Braze retries these for a while, then drops them: check storage and the function app.'
    severity: 1
    query: 'union\n    (requests\n    | where name == "WebhookIngress" and toint(resultCode) >= 500 and toint(resultCode) != 503\n    | project timestamp, source = "http_5xx", Failures = todouble(itemCount)),\n    (customMetrics\n    | where name == "relay.webhooks.rejected" and tostring(customDimensions.status) == "503"\n    | extend error = tostring(customDimensions.error)\n    | where error != "idempotency_key_in_progress"\n    | project timestamp, source = iff(isempty(error), "http_503", error), Failures = valueSum)'
    aggregation: 'Total'
    measure: 'Failures'
    dimensions: ['source']
    threshold: 0
    periods: 1
  }
  {
    suffix: 'ingress-4xx'
    displayName: 'Braze relay: ingress 4xx spike'
    description: 'POST /api/hooks/{route} refused more webhooks than the threshold in 5 minutes (relay.webhooks.rejected, 4xx status). Braze does not retry 401, 404 or 400: each is a lost webhook. 401 after a rotation means Braze sends an old secret or a Key Vault reference did not resolve; 404 an unknown route; 400/413/415 a webhook body Braze renders wrongly.'
    severity: 2
    query: 'customMetrics\n| where name == "relay.webhooks.rejected"\n| extend status = tostring(customDimensions.status)\n| where toint(status) between (400 .. 499)\n| project timestamp, status, Rejected = valueSum'
    aggregation: 'Total'
    measure: 'Rejected'
    dimensions: ['status']
    threshold: ingressRejectedPer5Minutes
    periods: 1
  }
]

resource logAlertRules 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [
  for rule in logAlerts: {
    name: 'alert-${namePrefix}-${rule.suffix}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        appInsightsId
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT5M'
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: rule.aggregation
            metricMeasureColumn: rule.measure
            // Each value of a dimension is its own alert, so one failing route or workspace does not hide another.
            dimensions: map(rule.dimensions, dimension => {
              name: dimension
              operator: 'Include'
              values: [
                '*'
              ]
            })
            operator: 'GreaterThan'
            threshold: rule.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: rule.periods
              minFailingPeriodsToAlert: rule.periods
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
]

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
