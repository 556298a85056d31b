// The detection pack as Microsoft Sentinel scheduled analytics rules (docs/detections.md, "Microsoft
// Sentinel analytics rules"), deployed with sentinelAnalyticsRules on a workspace that has Sentinel;
// the log search alerts of detections.bicep are then not deployed, so each rule runs once.
// Shape: Microsoft.SecurityInsights/alertRules, kind Scheduled, API 2024-09-01 (Azure/azure-rest-api-specs
// specification/securityinsights/.../stable/2024-09-01/AlertRules.json and its example
// CreateScheduledAlertRule.json): an extension resource on the workspace, in the workspace's
// resource group (like detection-functions.bicep).
param workspaceName string
@description('Output analyticsRules of detections.bicep.')
param rules array

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: workspaceName
}

resource analyticsRules 'Microsoft.SecurityInsights/alertRules@2024-09-01' = [
  for r in rules: {
    scope: workspace
    name: guid(workspace.id, 'pgaudit-detection', r.name)
    kind: 'Scheduled'
    properties: {
      displayName: r.displayName
      description: r.description
      severity: r.severity
      enabled: r.enabled
      query: r.query
      queryFrequency: r.queryFrequency
      queryPeriod: r.queryPeriod
      triggerOperator: 'GreaterThan'
      triggerThreshold: 0
      suppressionEnabled: false
      suppressionDuration: 'PT5H'
      tactics: r.tactics
      techniques: r.techniques
      // One alert per row the query returns: each names its own user, client and statement.
      eventGroupingSettings: { aggregationKind: 'AlertPerResult' }
      entityMappings: r.entityMappings
      customDetails: r.customDetails
      incidentConfiguration: {
        createIncident: true
        // One incident per server and user (per server and client where the rule has no user) for
        // five hours: a rule that fires in consecutive runs on the same event adds alerts to it.
        groupingConfiguration: {
          enabled: true
          reopenClosedIncident: false
          lookbackDuration: 'PT5H'
          matchingMethod: 'Selected'
          groupByEntities: r.groupByEntities
          groupByAlertDetails: []
          groupByCustomDetails: []
        }
      }
    }
  }
]
