// Health of the pipeline itself, from the run records (PgAuditIngest_CL) and the DCR's platform
// metrics: pipeline silent (a metric alert, with a log alert as its backstop), dead letters, lag,
// errors and server silent. Every query is a .kql file under infra/kql, valid on its own (checked by
// Kusto.Language in the tests); thresholds and windows are rule properties, never KQL edits.
// docs/deploy.md says what each alert means, how to tune it and how to respond.
import { healthSettings } from '../lib.bicep'

param location string
param tags object
@description('Rule names end with this, e.g. -<resourceToken>.')
param ruleSuffix string
param workspaceId string
@description('Resource id of the DCR: the scope of the metric alert.')
param dcrId string
@description('Resource ids of the further DCR shards: each gets the DCR-limit alerts too.')
param shardDcrIds array = []
param actionGroupId string
@description('NCRONTAB of the sweep (PGAUDIT_SWEEP_SCHEDULE): the pipeline-silent and lag windows are three of its intervals.')
param sweepSchedule string
param settings healthSettings

var abbrs = loadJsonContent('../abbreviations.json')
var on = {
  pipelineSilent: settings.?pipelineSilent ?? true
  deadLetters: settings.?deadLetters ?? true
  lag: settings.?lag ?? true
  errors: settings.?errors ?? true
  serverSilent: settings.?serverSilent ?? true
  dcrLimits: settings.?dcrLimits ?? true
}

// Minutes between two sweeps of a six-field NCRONTAB that runs every N minutes (`s */N * * * *`),
// every minute (`s * * * * *`) or hourly (`s m * * * *`); the seconds field does not matter. Any
// other schedule stops the deployment: then give health.pipelineSilentMinutes.
func cronFail(schedule string) int => fail('Cannot derive the sweep interval from sweepSchedule "${schedule}": set health.pipelineSilentMinutes (5, 15, 30, 60, 360 or 720), or turn the pipelineSilent and lag alerts off.')
func cronMinutes(f string[], schedule string) int =>
  length(f) != 6
    ? cronFail(schedule)
    : f[2] != '*' || f[3] != '*' || f[4] != '*' || f[5] != '*'
        ? cronFail(schedule)
        : f[1] == '*' ? 1 : startsWith(f[1], '*/') ? int(substring(f[1], 2)) : !contains(f[1], ',') && !contains(f[1], '-') && !contains(f[1], '/') && !contains(f[1], '*') ? 60 : cronFail(schedule)
// The smallest window metric alerts take (PT5M ... PT12H) that holds the given minutes.
func metricWindow(m int) int => m <= 5 ? 5 : m <= 15 ? 15 : m <= 30 ? 30 : m <= 60 ? 60 : m <= 360 ? 360 : m <= 720 ? 720 : fail('Three sweep intervals (${m} minutes) exceed the longest metric alert window (12 hours): set health.pipelineSilentMinutes.')
// The smallest window log alerts take (PT5M ... P2D) that holds the given minutes.
func logWindow(m int) int => m <= 5 ? 5 : m <= 10 ? 10 : m <= 15 ? 15 : m <= 30 ? 30 : m <= 45 ? 45 : m <= 360 ? (m + 59) / 60 * 60 : m <= 1440 ? 1440 : 2880
func iso(m int) string => m % 1440 == 0 ? 'P${m / 1440}D' : m % 60 == 0 ? 'PT${m / 60}H' : 'PT${m}M'

// Three sweep intervals: the window of the pipeline-silent alerts and of one lag evaluation.
// (A ternary, not ??: ARM evaluates only the branch it takes, so a given window never parses the schedule.)
var windowMinutes = !on.pipelineSilent && !on.lag
  ? 15
  : settings.?pipelineSilentMinutes != null ? settings.?pipelineSilentMinutes! : metricWindow(3 * cronMinutes(split(trim(sweepSchedule), ' '), sweepSchedule))
// Log search alerts see rows a few minutes after they were written (ingestion latency, usually
// 3-10 minutes): the heartbeat backstop looks 15 minutes further back than the metric alert.
var ingestionAllowance = 15

var byServer = { name: 'ServerName', operator: 'Include', values: ['*'] }
var logRules = [
  {
    name: 'pipeline-heartbeats'
    severity: 1
    description: 'No sweep wrote a heartbeat (PgAuditIngest_CL) in the window: the timer, the app or its uploads stopped.'
    query: loadTextContent('../kql/health-pipeline-silent.kql')
    measure: 'Heartbeats'
    aggregation: 'Total'
    operator: 'LessThan'
    threshold: 1
    window: iso(logWindow(windowMinutes + ingestionAllowance))
    frequency: 'PT5M'
    periods: 1
    dimensions: []
    deploy: on.pipelineSilent
  }
  {
    name: 'dead-letters'
    severity: 2
    description: 'Rows the service refused as invalid were dead-lettered: replay them once the cause is fixed.'
    query: loadTextContent('../kql/health-dead-letters.kql')
    measure: ''
    aggregation: 'Count'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT15M'
    frequency: 'PT5M'
    periods: 1
    dimensions: [byServer]
    deploy: on.deadLetters
  }
  {
    name: 'ingest-lag'
    severity: 2
    description: 'Every run of a server in two consecutive windows left more than the threshold of bytes of it unread.'
    query: loadTextContent('../kql/health-lag.kql')
    measure: 'BytesBehind'
    aggregation: 'Minimum'
    operator: 'GreaterThan'
    threshold: settings.?lagBytes ?? 100000000
    window: iso(logWindow(windowMinutes))
    frequency: 'PT5M'
    periods: 2
    dimensions: [byServer]
    deploy: on.lag
  }
  {
    name: 'ingest-errors'
    severity: 2
    description: 'A server or a run stopped with an error, or state was lost (ErrorCode names which).'
    query: loadTextContent('../kql/health-errors.kql')
    measure: ''
    aggregation: 'Count'
    operator: 'GreaterThan'
    threshold: 0
    window: 'PT15M'
    frequency: 'PT5M'
    periods: 1
    dimensions: [{ name: 'ErrorCode', operator: 'Include', values: ['*'] }, { name: 'Scope', operator: 'Include', values: ['*'] }]
    deploy: on.errors
  }
  {
    name: 'server-silent'
    severity: 2
    description: 'A server\'s diagnostic blobs grew, but none of the new lines became a row: its audit logging may have stopped.'
    query: loadTextContent('../kql/health-server-silent.kql')
    measure: ''
    aggregation: 'Count'
    operator: 'GreaterThan'
    threshold: 0
    window: iso(60 * (settings.?serverSilentHours ?? 6))
    frequency: 'PT1H'
    periods: 1
    dimensions: [byServer]
    deploy: on.serverSilent
  }
]

resource rules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for r in logRules: if (r.deploy) {
    name: '${abbrs.insightsScheduledQueryRules}pgaudit-${r.name}${ruleSuffix}'
    location: location
    tags: tags
    properties: {
      displayName: 'pgaudit-ingest health: ${r.name}'
      description: r.description
      severity: r.severity
      enabled: true
      scopes: [workspaceId]
      evaluationFrequency: r.frequency
      windowSize: r.window
      criteria: {
        allOf: [
          union(
            {
              query: r.query
              timeAggregation: r.aggregation
              dimensions: r.dimensions
              operator: r.operator
              threshold: r.threshold
              failingPeriods: { numberOfEvaluationPeriods: r.periods, minFailingPeriodsToAlert: r.periods }
            },
            empty(r.measure) ? {} : { metricMeasureColumn: r.measure }
          )
        ]
      }
      actions: { actionGroups: [actionGroupId] }
    }
  }
]

// Absence is detected on metrics (log alerts are latent, alerts-types.md): every run sends at least
// its heartbeat to the DCR, so no request for three sweep intervals means the pipeline is down.
resource pipelineSilent 'Microsoft.Insights/metricAlerts@2018-03-01' = if (on.pipelineSilent) {
  name: '${abbrs.insightsMetricAlerts}pgaudit-pipeline-silent${ruleSuffix}'
  location: 'global'
  tags: tags
  properties: {
    description: 'The DCR received no Logs Ingestion API request in the window: no run of the function reached it.'
    severity: 1
    enabled: true
    scopes: [dcrId]
    evaluationFrequency: 'PT5M'
    windowSize: iso(windowMinutes)
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'no-requests'
          metricNamespace: 'Microsoft.Insights/dataCollectionRules'
          metricName: 'ApiCallReceived_Count'
          dimensions: []
          operator: 'LessThan'
          threshold: 1
          timeAggregation: 'Count'
        }
      ]
    }
    autoMitigate: true
    actions: [{ actionGroupId: actionGroupId }]
  }
}

// The limits of each DCR (src/service-limits.ts: 2 GB and 12,000 requests per minute per DCR; the
// service answers 429 past them). Metric names from Microsoft's supported-metrics reference for
// Microsoft.Insights/dataCollectionRules (learn.microsoft.com/azure/azure-monitor/reference/
// supported-metrics/microsoft-insights-datacollectionrules-metrics): ApiCallReceived_Count ("Logs
// Ingestion Requests per Min", Count, dimensions InputStreamId and ResponseCode) and
// BytesReceived_Count ("Logs Ingestion Bytes per Min", Total, dimension InputStreamId), both PT1M.
// Sustained 429s, or bytes near the limit, mean the fleet needs another DCR shard (docs/deploy.md
// "Sizing": raise dcrShards).
var dcrLimitBytesPerMinute = 2000000000
var dcrScopes = concat([dcrId], shardDcrIds)
// Shard i is named by a letter (a for shard 0, b for 1, ...): alert names carry no digits.
var shardLetters = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']
resource dcrThrottled 'Microsoft.Insights/metricAlerts@2018-03-01' = [
  for (scope, i) in dcrScopes: if (on.dcrLimits) {
    name: '${abbrs.insightsMetricAlerts}pgaudit-dcr-${shardLetters[i]}-throttled${ruleSuffix}'
    location: 'global'
    tags: tags
    properties: {
      description: 'DCR shard ${i} answered more than ${settings.?dcrThrottledRequests ?? 60} Logs Ingestion requests with 429 (throttled) in 15 minutes: the shard is at its limit; raise dcrShards (docs/deploy.md "Sizing").'
      severity: 2
      enabled: true
      scopes: [scope]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion'
            name: 'throttled-requests'
            metricNamespace: 'Microsoft.Insights/dataCollectionRules'
            metricName: 'ApiCallReceived_Count'
            dimensions: [{ name: 'ResponseCode', operator: 'Include', values: ['429'] }]
            operator: 'GreaterThan'
            threshold: settings.?dcrThrottledRequests ?? 60
            timeAggregation: 'Count'
          }
        ]
      }
      autoMitigate: true
      actions: [{ actionGroupId: actionGroupId }]
    }
  }
]
resource dcrNearLimit 'Microsoft.Insights/metricAlerts@2018-03-01' = [
  for (scope, i) in dcrScopes: if (on.dcrLimits) {
    name: '${abbrs.insightsMetricAlerts}pgaudit-dcr-${shardLetters[i]}-bytes${ruleSuffix}'
    location: 'global'
    tags: tags
    properties: {
      description: 'DCR shard ${i} received more than ${settings.?dcrBytesPercent ?? 70} % of its limit of 2 GB per minute, averaged over 15 minutes: raise dcrShards before it throttles (docs/deploy.md "Sizing").'
      severity: 3
      enabled: true
      scopes: [scope]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion'
            name: 'bytes-near-limit'
            metricNamespace: 'Microsoft.Insights/dataCollectionRules'
            metricName: 'BytesReceived_Count'
            dimensions: []
            operator: 'GreaterThan'
            // Total over the 15-minute window: 15 minutes at the given percent of the per-minute limit.
            threshold: 15 * (dcrLimitBytesPerMinute / 100) * (settings.?dcrBytesPercent ?? 70)
            timeAggregation: 'Total'
          }
        ]
      }
      autoMitigate: true
      actions: [{ actionGroupId: actionGroupId }]
    }
  }
]
