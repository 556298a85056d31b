// Workspace functions of the detection pack, in the workspace's own resource group (like
// workspace.bicep): PgAuditDetection_<Rule>() for every detection (the rule's query as deployed, for
// the workbook's "detections fired" panel, hunting, and Sentinel analytics rules with longer
// baselines), and with deploySentinelParsers the ASIM parsers (vim/ASim Authentication and
// AuditEvent, infra/asim/parsers.json), which Sentinel's unifying parsers can then call.
param workspaceName string
@description('Output `queries` of detections.bicep: name, alias and final query of each rule.')
param detectionQueries array
param deploySentinelParsers bool

var asim = loadJsonContent('../asim/parsers.json').parsers
var parsers = !deploySentinelParsers ? [] : [
  { alias: 'vimAuthenticationPgAudit', query: loadTextContent('../kql/asim-authentication.kql') }
  { alias: 'ASimAuthenticationPgAudit', query: loadTextContent('../kql/asim-authentication-asim.kql') }
  { alias: 'vimAuditEventPgAudit', query: loadTextContent('../kql/asim-audit-event.kql') }
  { alias: 'ASimAuditEventPgAudit', query: loadTextContent('../kql/asim-audit-event-asim.kql') }
]

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: workspaceName
}

resource detectionFunctions 'Microsoft.OperationalInsights/workspaces/savedSearches@2020-08-01' = [
  for q in detectionQueries: {
    parent: workspace
    name: 'pgaudit-detection-${q.name}'
    properties: { category: 'pgAudit detections', displayName: '${q.alias}(): the rows detect-${q.name} fires on', functionAlias: q.alias, query: q.query, version: 2 }
  }
]

// The parsers call each other by name (ASim* calls vim*), so the vim* functions come first.
@batchSize(1)
resource asimParsers 'Microsoft.OperationalInsights/workspaces/savedSearches@2020-08-01' = [
  for p in parsers: {
    parent: workspace
    name: 'pgaudit-${toLower(p.alias)}'
    properties: {
      category: 'ASIM'
      displayName: '${p.alias}: ASIM ${asim[p.alias].schema} parser for PgAudit_CL (PostgreSQL)'
      functionAlias: p.alias
      functionParameters: asim[p.alias].parameters
      query: p.query
      version: 2
    }
  }
]
