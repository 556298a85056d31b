// The Data Collection Rule (kind Direct: it has its own logs-ingestion endpoint, no DCE needed)
// and workspace-based Application Insights. The DCR sits in the workspace's region, and it takes
// the table names from the workspace module's outputs, so ARM creates it only after the tables
// exist (otherwise: InvalidOutputTable).
import { kqlJsonText } from '../lib.bicep'

param location string
param tags object
param dcrName string
param appInsightsName string
param workspaceId string
param workspaceLocation string
@description('Name of the PgAudit_CL table as created by the workspace module (creates the dependency).')
param tableName string
@description('Name of the PgAuditIngest_CL table (run records) as created by the workspace module.')
param runTableName string
@description('Tiering as lib.bicep tieringOf() makes it.')
param tiering object
@description('Name of PgAuditBulk_CL as created by the workspace module (empty without tiering).')
param bulkTableName string
@description('DCRs the servers are spread over (docs/deploy.md "Sizing"): the first is dcrName, the others dcrName-1 ... dcrName-(N-1), each with the same streams, flows and tables.')
@minValue(1)
param dcrShards int = 1

// One stream per table, columns from the generated JSON (npm run schema:gen); one data flow per
// stream, one row in, one row out (infra/kql/transform.kql, checked against each stream).
var streams = [
  loadJsonContent('../generated/pgaudit-columns.json')
  loadJsonContent('../generated/pgaudit-ingest-columns.json')
]
var identity = loadTextContent('../kql/transform.kql')
// With tiering the audit stream gets two flows with complementary filters (src/tiering.ts tierOf()):
// security-relevant rows to PgAudit_CL, bulk rows to PgAuditBulk_CL. Routing is not dropping: every
// row lands in exactly one table. The rule reaches the transforms through their two let lines only.
func tierKql(kql string, t object) string => replace(replace(kql,
  'let BulkClasses = parse_json(\'["READ","WRITE"]\');', 'let BulkClasses = parse_json(${kqlJsonText(t.bulkClasses)});'),
  'let PrivilegedUsers = parse_json(\'[]\');', 'let PrivilegedUsers = parse_json(${kqlJsonText(t.privilegedUsers)});')
var bulkTransform = tiering.plan == 'Auxiliary' ? loadTextContent('../kql/transform-tier-bulk-auxiliary.kql') : loadTextContent('../kql/transform-tier-bulk.kql')
var flows = concat(
  tiering.enabled
    ? [
        { stream: streams[0].streamName, table: tableName, kql: tierKql(loadTextContent('../kql/transform-tier-analytics.kql'), tiering) }
        { stream: streams[0].streamName, table: bulkTableName, kql: tierKql(bulkTransform, tiering) }
      ]
    : [{ stream: streams[0].streamName, table: tableName, kql: identity }],
  [{ stream: streams[1].streamName, table: runTableName, kql: identity }]
)

var dataFlows = [
  for f in flows: {
    streams: [f.stream]
    destinations: ['workspace']
    transformKql: f.kql
    outputStream: 'Custom-${f.table}'
  }
]
var dcrProperties = {
  description: 'pgaudit-ingest: Logs Ingestion API streams ${streams[0].streamName} into ${tiering.enabled ? '${tableName} and ${bulkTableName}' : tableName}, ${streams[1].streamName} into ${runTableName}'
  streamDeclarations: {
    '${streams[0].streamName}': { columns: streams[0].streamColumns }
    '${streams[1].streamName}': { columns: streams[1].streamColumns }
  }
  destinations: {
    logAnalytics: [
      { name: 'workspace', workspaceResourceId: workspaceId }
    ]
  }
  dataFlows: dataFlows
}

resource dcr 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: dcrName
  location: workspaceLocation
  tags: tags
  kind: 'Direct'
  properties: dcrProperties
}

// The further DCR shards (PGAUDIT_DCR_SHARDS): the same rule under another name, each with its own
// logs-ingestion endpoint and immutable id, writing the same tables.
resource shardDcrs 'Microsoft.Insights/dataCollectionRules@2023-03-11' = [
  for i in range(1, dcrShards - 1): {
    name: '${dcrName}-${i}'
    location: workspaceLocation
    tags: tags
    kind: 'Direct'
    properties: dcrProperties
  }
]

// Requests the DCR refuses (400 with the reason, 403, 413, throttling) and transformation errors
// land in DCRLogErrors of the same workspace (category LogErrors, data-collection-monitor.md).
resource dcrErrors 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: dcr
  name: 'pgaudit-ingest-errors'
  properties: {
    workspaceId: workspaceId
    logs: [{ category: 'LogErrors', enabled: true }]
  }
}

resource shardDcrErrors 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [
  for i in range(0, dcrShards - 1): {
    scope: shardDcrs[i]
    name: 'pgaudit-ingest-errors'
    properties: {
      workspaceId: workspaceId
      logs: [{ category: 'LogErrors', enabled: true }]
    }
  }
]

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspaceId
    DisableLocalAuth: true // telemetry only with Entra ID (the function's managed identity)
  }
}

output dcrName string = dcr.name
output dcrId string = dcr.id
output dcrImmutableId string = dcr.properties.immutableId
output ingestionEndpoint string = dcr.properties.endpoints.logsIngestion
// PGAUDIT_DCR_SHARDS: the further shards' endpoints and immutable ids, in shard order.
output shardTargets array = [for i in range(0, dcrShards - 1): { endpoint: shardDcrs[i].properties.endpoints.logsIngestion, immutableId: shardDcrs[i].properties.immutableId }]
output shardDcrNames array = [for i in range(0, dcrShards - 1): shardDcrs[i].name]
output shardDcrIds array = [for i in range(0, dcrShards - 1): shardDcrs[i].id]
output appInsightsName string = appInsights.name
// Not a secret: with DisableLocalAuth the instrumentation key alone cannot send telemetry.
output appInsightsConnectionString string = appInsights.properties.ConnectionString
