// Log Analytics workspace (new or existing), the PgAudit_CL table, the Data Collection Rule
// (kind Direct) with the stream declaration, and workspace-based Application Insights.
// Columns come from the schema module via the generated JSON, so table, stream and code agree.
param location string
param baseName string
@description('Resource id of an existing Log Analytics workspace; empty creates one.')
param existingWorkspaceId string
@allowed(['Analytics', 'Basic'])
param tablePlan string
@minValue(4)
@maxValue(730)
param retentionInDays int
@minValue(4)
@maxValue(4383)
param totalRetentionInDays int

var schema = loadJsonContent('../generated/pgaudit-columns.json')
var createWorkspace = empty(existingWorkspaceId)
var workspaceName = createWorkspace ? 'log-${baseName}' : last(split(existingWorkspaceId, '/'))

resource newWorkspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' = if (createWorkspace) {
  name: workspaceName
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
    features: { enableLogAccessUsingOnlyResourcePermissions: true }
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: workspaceName
  dependsOn: [newWorkspace]
}

resource table 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: schema.tableName
  properties: {
    plan: tablePlan
    retentionInDays: tablePlan == 'Basic' ? null : retentionInDays
    totalRetentionInDays: totalRetentionInDays
    schema: {
      name: schema.tableName
      columns: schema.tableColumns
    }
  }
}

resource dcr 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: 'dcr-${baseName}'
  location: location
  kind: 'Direct'
  properties: {
    streamDeclarations: {
      '${schema.streamName}': { columns: schema.streamColumns }
    }
    destinations: {
      logAnalytics: [
        { name: 'workspace', workspaceResourceId: workspace.id }
      ]
    }
    dataFlows: [
      {
        streams: [schema.streamName]
        destinations: ['workspace']
        transformKql: loadTextContent('../kql/transform.kql')
        outputStream: schema.streamName
      }
    ]
  }
  dependsOn: [table] // the output table must exist first (InvalidOutputTable)
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${baseName}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true // telemetry only with Entra ID (the function's managed identity)
  }
}

output workspaceId string = workspace.id
output workspaceName string = workspace.name
output dcrName string = dcr.name
output dcrId string = dcr.id
output dcrImmutableId string = dcr.properties.immutableId
output ingestionEndpoint string = dcr.properties.endpoints.logsIngestion
output appInsightsId string = appInsights.id
output appInsightsConnectionString string = appInsights.properties.ConnectionString
