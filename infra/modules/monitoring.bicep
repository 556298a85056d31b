// The Data Collection Rule (kind Direct: it has its own logs-ingestion endpoint, no DCE needed)
// and workspace-based Application Insights. The DCR sits in the workspace's region, and it takes
// the table names from the workspace module's outputs, so ARM creates it only after the tables
// exist (otherwise: InvalidOutputTable).
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

// One stream and one data flow per table, columns from the generated JSON (npm run schema:gen).
var flows = [
  { schema: loadJsonContent('../generated/pgaudit-columns.json'), table: tableName }
  { schema: loadJsonContent('../generated/pgaudit-ingest-columns.json'), table: runTableName }
]

resource dcr 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: dcrName
  location: workspaceLocation
  tags: tags
  kind: 'Direct'
  properties: {
    description: 'pgaudit-ingest: Logs Ingestion API streams ${flows[0].schema.streamName} into ${tableName}, ${flows[1].schema.streamName} into ${runTableName}'
    streamDeclarations: {
      '${flows[0].schema.streamName}': { columns: flows[0].schema.streamColumns }
      '${flows[1].schema.streamName}': { columns: flows[1].schema.streamColumns }
    }
    destinations: {
      logAnalytics: [
        { name: 'workspace', workspaceResourceId: workspaceId }
      ]
    }
    dataFlows: [
      for f in flows: {
        streams: [f.schema.streamName]
        destinations: ['workspace']
        // One row in, one row out (infra/kql/transform.kql, checked by Kusto.Language against each stream).
        transformKql: loadTextContent('../kql/transform.kql')
        outputStream: 'Custom-${f.table}'
      }
    ]
  }
}

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
output appInsightsName string = appInsights.name
// Not a secret: with DisableLocalAuth the instrumentation key alone cannot send telemetry.
output appInsightsConnectionString string = appInsights.properties.ConnectionString
