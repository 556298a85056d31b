// The Data Collection Rule (kind Direct: it has its own logs-ingestion endpoint, no DCE needed)
// and workspace-based Application Insights. The DCR sits in the workspace's region, and it takes
// the table name from the workspace module's output, so ARM creates it only after the table
// exists (otherwise: InvalidOutputTable).
param location string
param tags object
param dcrName string
param appInsightsName string
param workspaceId string
param workspaceLocation string
@description('Name of the PgAudit_CL table as created by the workspace module (creates the dependency).')
param tableName string

var schema = loadJsonContent('../generated/pgaudit-columns.json')

resource dcr 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: dcrName
  location: workspaceLocation
  tags: tags
  kind: 'Direct'
  properties: {
    description: 'pgaudit-ingest: Logs Ingestion API stream ${schema.streamName} into ${tableName}'
    streamDeclarations: {
      '${schema.streamName}': { columns: schema.streamColumns }
    }
    destinations: {
      logAnalytics: [
        { name: 'workspace', workspaceResourceId: workspaceId }
      ]
    }
    dataFlows: [
      {
        streams: [schema.streamName]
        destinations: ['workspace']
        // One row in, one row out (infra/kql/transform.kql, checked by Kusto.Language in the tests).
        transformKql: loadTextContent('../kql/transform.kql')
        outputStream: 'Custom-${tableName}'
      }
    ]
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
output dcrImmutableId string = dcr.properties.immutableId
output ingestionEndpoint string = dcr.properties.endpoints.logsIngestion
output appInsightsName string = appInsights.name
// Not a secret: with DisableLocalAuth the instrumentation key alone cannot send telemetry.
output appInsightsConnectionString string = appInsights.properties.ConnectionString
