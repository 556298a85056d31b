// Optional: wires an existing Flexible Server (same resource group) to the pipeline: its
// PostgreSQLLogs go to the logs storage account, and pgAudit plus a log_line_prefix that names
// user, database and application are set. Server parameters are applied one at a time: parallel
// updates fail with ServerBusy. Changing shared_preload_libraries needs a server restart, and
// each database needs `CREATE EXTENSION pgaudit;` (docs/deploy.md).
param serverName string
param logsAccountId string
param logLinePrefix string
@description('Complete value for azure.extensions (the allow-list): it replaces the list, so keep existing entries.')
param azureExtensions string
@description('Complete value for shared_preload_libraries: it replaces the list, so keep existing entries.')
param sharedPreloadLibraries string
param pgauditLog string
param pgauditLogParameter string
param pgauditLogRows string

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2022-12-01' existing = {
  name: serverName
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  scope: server
  name: 'pgaudit-ingest'
  properties: {
    storageAccountId: logsAccountId
    logs: [{ category: 'PostgreSQLLogs', enabled: true }]
  }
}

var settings = [
  { name: 'azure.extensions', value: azureExtensions }
  { name: 'shared_preload_libraries', value: sharedPreloadLibraries }
  { name: 'pgaudit.log', value: pgauditLog }
  { name: 'pgaudit.log_parameter', value: pgauditLogParameter }
  { name: 'pgaudit.log_rows', value: pgauditLogRows }
  { name: 'log_line_prefix', value: logLinePrefix }
]

// Serial on purpose: the server rejects a parameter update while another is in progress (ServerBusy).
@batchSize(1)
resource configurations 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2022-12-01' = [
  for s in settings: {
    parent: server
    name: s.name
    properties: { value: s.value, source: 'user-override' }
  }
]
