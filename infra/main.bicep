// pgaudit-ingest: everything next to an existing Flexible Server, deployed by `azd up` at
// resource-group scope. The Event Grid subscription is a second stage (eventgrid.bicep, run by
// scripts/azd/postdeploy.sh) because it needs a key that exists only after the code is deployed.
targetScope = 'resourceGroup'

@minLength(3)
@maxLength(20)
@description('Short name used in resource names (the azd environment name).')
param environmentName string
param location string = resourceGroup().location

@description('Resource id of an existing Log Analytics workspace (any resource group you can deploy to); empty creates one here.')
param existingWorkspaceId string = ''
@allowed(['Analytics', 'Basic'])
@description('PgAudit_CL plan: Analytics (full KQL, alerts) or Basic (cheaper ingestion, restricted queries; the alerts need Analytics).')
param tablePlan string = 'Analytics'
@minValue(4)
@maxValue(730)
@description('Interactive retention of PgAudit_CL in days (Analytics plan).')
param retentionInDays int = 90
@minValue(4)
@maxValue(4383)
@description('Total retention of PgAudit_CL in days, including the long-term (archive) part.')
param totalRetentionInDays int = 365

@description('Existing storage account in this resource group that receives the servers\' diagnostic logs; empty creates one.')
param existingLogsStorageAccountName string = ''
@description('log_line_prefix of the servers (Flexible Server default %t-%c-); PGAUDIT_LOG_LINE_PREFIX.')
param logLinePrefix string = '%t-%c-'
@description('Per-server log_line_prefix keyed by server name; PGAUDIT_SERVER_LOG_LINE_PREFIXES.')
param serverLogLinePrefixes object = {}
@description('NCRONTAB (six fields) of the sweep that reads growing blobs; PGAUDIT_SWEEP_SCHEDULE.')
param sweepSchedule string = '0 */5 * * * *'
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Wire an existing Flexible Server in this resource group: diagnostic setting, pgAudit parameters, log_line_prefix.')
param wireServer bool = false
param flexibleServerName string = ''
@description('log_line_prefix set on a wired server: names session, line, user, database, application and client.')
param wiredServerLogLinePrefix string = '%m [%p] %c %l %q%u@%d %a %r '
@description('Complete azure.extensions allow-list for a wired server (replaces the list: keep your existing entries).')
param azureExtensions string = 'PGAUDIT'
@description('Complete shared_preload_libraries for a wired server (replaces the list: keep your existing entries).')
param sharedPreloadLibraries string = 'pg_cron,pg_stat_statements,pgaudit'
param pgauditLog string = 'ddl, role, write, misc_set'
param pgauditLogParameter string = 'on'
param pgauditLogRows string = 'on'

@description('Email for alert notifications; empty creates the action group without receivers.')
param alertEmail string = ''
@minValue(0)
@maxValue(23)
@description('Change window start hour (UTC, inclusive): DDL inside the window by an allowed user does not alert.')
param changeWindowStartHour int = 22
@minValue(0)
@maxValue(24)
@description('Change window end hour (UTC, exclusive); a window may wrap past midnight.')
param changeWindowEndHour int = 4
@description('Users allowed to run DDL (inside the window); empty: the window alone decides.')
param ddlUsers array = ['migrations']
@minValue(1)
@description('Failed logins from one client within 15 minutes that raise an alert.')
param authFailureThreshold int = 10
@description('Tables whose reads alert, schema-qualified as pgAudit names them (e.g. public.accounts); empty: no rule.')
param sensitiveTables array = []

var baseName = toLower(environmentName)
// The wired server's prefix joins the per-server map (the function looks servers up in lower case).
var prefixes = wireServer ? union(serverLogLinePrefixes, { '${toLower(flexibleServerName)}': wiredServerLogLinePrefix }) : serverLogLinePrefixes
// The workspace module runs in the workspace's own subscription and resource group; a new
// workspace is created here (the synthesized id only supplies this deployment's scope).
var workspaceParts = split(empty(existingWorkspaceId) ? '${resourceGroup().id}/providers/Microsoft.OperationalInsights/workspaces/' : existingWorkspaceId, '/')

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${baseName}'
  location: location
}

module workspace 'modules/workspace.bicep' = {
  name: 'workspace'
  scope: resourceGroup(workspaceParts[2], workspaceParts[4])
  params: {
    location: location
    baseName: baseName
    existingWorkspaceName: workspaceParts[8]
    tablePlan: tablePlan
    retentionInDays: retentionInDays
    totalRetentionInDays: totalRetentionInDays
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    baseName: baseName
    workspaceId: workspace.outputs.workspaceId
    workspaceLocation: workspace.outputs.workspaceLocation
    tableName: workspace.outputs.tableName // the DCR waits for the table
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: { location: location, baseName: baseName, existingLogsStorageAccountName: existingLogsStorageAccountName }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.properties.principalId
    dcrName: monitoring.outputs.dcrName
    appInsightsName: monitoring.outputs.appInsightsName
    hostAccountName: storage.outputs.hostAccountName
    logsAccountName: storage.outputs.logsAccountName
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    location: location
    baseName: baseName
    identityId: identity.id
    identityClientId: identity.properties.clientId
    hostBlobEndpoint: storage.outputs.hostBlobEndpoint
    hostQueueEndpoint: storage.outputs.hostQueueEndpoint
    hostTableEndpoint: storage.outputs.hostTableEndpoint
    deploymentContainer: storage.outputs.deploymentContainer
    logsBlobEndpoint: storage.outputs.logsBlobEndpoint
    logsQueueEndpoint: storage.outputs.logsQueueEndpoint
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    ingestionEndpoint: monitoring.outputs.ingestionEndpoint
    dcrImmutableId: monitoring.outputs.dcrImmutableId
    logLinePrefix: logLinePrefix
    serverLogLinePrefixes: prefixes
    sweepSchedule: sweepSchedule
    maximumInstanceCount: maximumInstanceCount
  }
  dependsOn: [roles] // the app starts with its identity already allowed in (storage, DCR, telemetry)
}

module wiring 'modules/postgres-wiring.bicep' = if (wireServer) {
  name: 'postgres-wiring'
  params: {
    serverName: flexibleServerName
    logsAccountId: storage.outputs.logsAccountId
    logLinePrefix: wiredServerLogLinePrefix
    azureExtensions: azureExtensions
    sharedPreloadLibraries: sharedPreloadLibraries
    pgauditLog: pgauditLog
    pgauditLogParameter: pgauditLogParameter
    pgauditLogRows: pgauditLogRows
  }
}

module alerting 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location
    baseName: baseName
    workspaceId: workspace.outputs.workspaceId
    alertEmail: alertEmail
    changeWindowStartHour: changeWindowStartHour
    changeWindowEndHour: changeWindowEndHour
    ddlUsers: ddlUsers
    authFailureThreshold: authFailureThreshold
    sensitiveTables: sensitiveTables
  }
}

// azd stores these in the environment; scripts/azd/postdeploy.sh reads them. No secrets here.
output AZURE_RESOURCE_GROUP string = resourceGroup().name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_HOST_NAME string = functionApp.outputs.defaultHostName
output LOGS_STORAGE_ACCOUNT_NAME string = storage.outputs.logsAccountName
output PGAUDIT_INGESTION_ENDPOINT string = monitoring.outputs.ingestionEndpoint
output PGAUDIT_DCR_IMMUTABLE_ID string = monitoring.outputs.dcrImmutableId
output LOG_ANALYTICS_WORKSPACE_ID string = workspace.outputs.workspaceId
