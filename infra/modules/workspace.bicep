// The Log Analytics side, deployed into the workspace's own resource group (which may differ from
// the app's): the workspace (new, or an existing one by name), the PgAudit_CL and PgAuditIngest_CL
// tables, with tiering PgAuditBulk_CL, and the workspace functions PgAudit() and
// PgAuditCompleteness(). Columns come from the
// schema modules through the generated JSON (`npm run schema:gen`), so the tables, the DCR streams
// and the code cannot drift apart.
param location string
param tags object
@description('Name of the workspace in this module\'s resource group: an existing one, or the one to create.')
param workspaceName string
@description('Create the workspace (false: use the existing one named workspaceName).')
param createWorkspace bool
@description('Plan of PgAudit_CL (lib.bicep pgauditTablePlan(): Analytics, or the deployment stops).')
param tablePlan string
@minValue(4)
@maxValue(730)
param retentionInDays int
@minValue(4)
@maxValue(4383)
param totalRetentionInDays int
@description('Tiering as lib.bicep tieringOf() makes it: enabled, plan, bulkTableName, dynamicAsText, ...')
param tiering object

// The audit rows (PgAudit_CL, the plan chosen) and the run records (PgAuditIngest_CL, always
// Analytics: they are small, and the health alerts and PgAuditCompleteness() need full KQL and
// joins). Both keep the same retention: the run records are the evidence that the rows are complete.
var tableSpecs = [
  { schema: loadJsonContent('../generated/pgaudit-columns.json'), plan: tablePlan }
  { schema: loadJsonContent('../generated/pgaudit-ingest-columns.json'), plan: 'Analytics' }
]

resource newWorkspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' = if (createWorkspace) {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30 // workspace default; PgAudit_CL sets its own retention below
    features: { enableLogAccessUsingOnlyResourcePermissions: true }
  }
}

// With tiering, the bulk rows' table: the columns of PgAudit_CL, except that an Auxiliary table holds
// no dynamic column, so the columns tiering.json names (Parameters, TruncatedColumns) are strings
// with their JSON text there (transform-tier-bulk-auxiliary.kql writes tostring()). The plan is set
// at creation: Auxiliary cannot be changed later, Basic can become Analytics (weekly).
var auditSchema = loadJsonContent('../generated/pgaudit-columns.json')
var bulkColumns = map(auditSchema.tableColumns, c => contains(tiering.dynamicAsText, c.name) ? union(c, { type: 'string', description: '${c.description} Stored as JSON text (an Auxiliary table has no dynamic columns): parse_json() it.' }) : c)

// One symbol for both cases; dependsOn makes a new workspace exist before it is read.
resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: workspaceName
  dependsOn: [newWorkspace]
}

resource tables 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = [
  for t in tableSpecs: {
    parent: workspace
    name: t.schema.tableName
    properties: {
      plan: t.plan
      // Basic tables have a fixed interactive retention; only the total (archive) retention applies.
      retentionInDays: t.plan == 'Basic' ? null : retentionInDays
      totalRetentionInDays: totalRetentionInDays
      schema: {
        name: t.schema.tableName
        columns: t.schema.tableColumns
      }
    }
  }
]

// 2025-07-01 is the first stable Tables API whose plan enum has Auxiliary (azure-rest-api-specs);
// Basic and Auxiliary tables take no retentionInDays (read-only there), only the total retention.
resource bulkTable 'Microsoft.OperationalInsights/workspaces/tables@2025-07-01' = if (tiering.enabled) {
  parent: workspace
  name: tiering.bulkTableName
  properties: {
    plan: tiering.plan
    totalRetentionInDays: totalRetentionInDays
    schema: {
      name: tiering.bulkTableName
      columns: bulkColumns
    }
  }
}

// Workspace functions (a .kql body each; Log Analytics declares the parameters apart from it):
// PgAudit(), the table deduplicated by RecordId (a crash between upload and checkpoint can re-send
// a range) with the columns people read first; PgAuditCompleteness(), the proof that every shipped
// row arrived (README "Proving completeness"). Both read Analytics tables only: a Basic or Auxiliary
// table runs no functions (basic-logs-query.md), so with tiering the bulk rows are read by saved
// queries (the query pack, alerts.bicep) and PgAuditCompleteness() is told so in its `let Tiered` line.
var functions = [
  {
    name: 'pgaudit-function'
    alias: 'PgAudit'
    displayName: 'PgAudit(): PgAudit_CL deduplicated, useful columns first'
    parameters: ''
    query: loadTextContent('../kql/function-pgaudit.kql')
  }
  {
    name: 'pgaudit-completeness-function'
    alias: 'PgAuditCompleteness'
    displayName: 'PgAuditCompleteness(start, end, showAll): blobs whose shipped rows did not all arrive in PgAudit_CL, or whose dead letters are not replayed'
    parameters: 'start:datetime, end:datetime, showAll:bool = false'
    query: replace(loadTextContent('../kql/function-completeness.kql'), 'let Tiered = false;', 'let Tiered = ${tiering.enabled ? 'true' : 'false'};')
  }
]

resource workspaceFunctions 'Microsoft.OperationalInsights/workspaces/savedSearches@2020-08-01' = [
  for f in functions: {
    parent: workspace
    name: f.name
    properties: union(
      { category: 'pgAudit', displayName: f.displayName, functionAlias: f.alias, query: f.query, version: 2 },
      empty(f.parameters) ? {} : { functionParameters: f.parameters }
    )
    dependsOn: [tables] // the bodies name the tables
  }
]

output workspaceId string = workspace.id
// The workspace id (a GUID) the Logs Query API takes (pgaudit-ingest smoke).
output workspaceCustomerId string = workspace.properties.customerId
output workspaceLocation string = workspace.location
output tableName string = tables[0].name
output runTableName string = tables[1].name
output bulkTableName string = tiering.enabled ? bulkTable.name : ''
