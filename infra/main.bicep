// pgaudit-ingest: everything next to an existing Flexible Server (resource-group scope, azd up).
targetScope = 'resourceGroup'

@minLength(3)
@maxLength(20)
@description('Short name used in resource names (azd environment name).')
param environmentName string
param location string = resourceGroup().location
@description('Resource id of an existing Log Analytics workspace in this resource group; empty creates one.')
param existingWorkspaceId string = ''
@allowed(['Analytics', 'Basic'])
param tablePlan string = 'Analytics'
param retentionInDays int = 90
param totalRetentionInDays int = 365
@description('Existing storage account (this resource group) that receives the server diagnostic logs; empty creates one.')
param existingLogsStorageAccountName string = ''
@description('log_line_prefix of the servers (Flexible Server default %t-%c-).')
param logLinePrefix string = '%t-%c-'
@description('Per-server log_line_prefix, keyed by lower-case server name.')
param serverLogLinePrefixes object = {}
param sweepSchedule string = '0 */5 * * * *'
param maximumInstanceCount int = 40
@description('Wire an existing Flexible Server in this resource group (diagnostic setting, pgAudit parameters, prefix).')
param wireServer bool = false
param flexibleServerName string = ''
@description('Recommended prefix for a wired server: names session, user, database, application and client.')
param wiredServerLogLinePrefix string = '%m [%p] %c %l %q%u@%d %a %r '
param sharedPreloadLibraries string = 'pg_cron,pg_stat_statements,pgaudit'
param pgauditLog string = 'ddl, role, write, misc_set'
param pgauditLogParameter string = 'on'
param pgauditLogRows string = 'on'
@description('Email for alert notifications; empty creates the action group without receivers.')
param alertEmail string = ''
param changeWindowStartHour int = 22
param changeWindowEndHour int = 4
param ddlUsers array = ['migrations']
param authFailureThreshold int = 10
@description('Tables whose reads alert, schema-qualified as pgAudit names them (e.g. public.accounts).')
param sensitiveTables array = []

var baseName = toLower(environmentName)
var prefixes = wireServer ? union(serverLogLinePrefixes, { '${toLower(flexibleServerName)}': wiredServerLogLinePrefix }) : serverLogLinePrefixes

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${baseName}'
  location: location
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: { location: location, baseName: baseName, existingWorkspaceId: existingWorkspaceId, tablePlan: tablePlan, retentionInDays: retentionInDays, totalRetentionInDays: totalRetentionInDays }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: { location: location, baseName: baseName, existingLogsStorageAccountName: existingLogsStorageAccountName }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: { principalId: identity.properties.principalId, dcrName: monitoring.outputs.dcrName, hostAccountName: storage.outputs.hostAccountName, logsAccountName: storage.outputs.logsAccountName }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    location: location
    baseName: baseName
    identityId: identity.id
    identityClientId: identity.properties.clientId
    hostAccountName: storage.outputs.hostAccountName
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
  dependsOn: [roles] // the app starts with its identity already allowed in
}

module wiring 'modules/postgres-wiring.bicep' = if (wireServer) {
  name: 'postgres-wiring'
  params: {
    serverName: flexibleServerName
    logsAccountId: storage.outputs.logsAccountId
    logLinePrefix: wiredServerLogLinePrefix
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
    workspaceId: monitoring.outputs.workspaceId
    alertEmail: alertEmail
    changeWindowStartHour: changeWindowStartHour
    changeWindowEndHour: changeWindowEndHour
    ddlUsers: ddlUsers
    authFailureThreshold: authFailureThreshold
    sensitiveTables: sensitiveTables
  }
}

output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_HOST_NAME string = functionApp.outputs.defaultHostName
output LOGS_STORAGE_ACCOUNT_NAME string = storage.outputs.logsAccountName
output PGAUDIT_INGESTION_ENDPOINT string = monitoring.outputs.ingestionEndpoint
output PGAUDIT_DCR_IMMUTABLE_ID string = monitoring.outputs.dcrImmutableId
output LOG_ANALYTICS_WORKSPACE_ID string = monitoring.outputs.workspaceId
