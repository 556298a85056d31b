// pgaudit-ingest next to an existing Flexible Server, deployed by `azd up` at resource-group scope.
// The Event Grid subscription is a second stage (eventgrid.bicep, run by scripts/azd/postdeploy.sh):
// it needs a key that exists only after the code is deployed. Every parameter has an azd variable in
// main.parameters.json (docs/deploy.md); app settings come from infra/generated/settings.json.
targetScope = 'resourceGroup'

import { detectionSettings } from 'detection-settings.bicep'
import { existingOr, healthSettings, pgauditTablePlan, resourceNames, serverPrefixMap, tieringOf, tieringSettings, wiredServerName } from 'lib.bicep'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; with the subscription and resource group it seeds the token that makes generated names unique.')
param environmentName string
@description('Region of the resources (the DCR follows the workspace\'s region).')
param location string = resourceGroup().location

// Names: empty means generated (abbreviation + resourceToken), so teams using the same environment
// name in other subscriptions or resource groups never collide on global app and storage names.
@description('Name of the user-assigned managed identity; empty: id-pgaudit-<token>.')
param identityName string = ''
@description('Name of the Flex Consumption plan; empty: plan-pgaudit-<token>.')
param planName string = ''
@description('Name of the function app (global: <name>.azurewebsites.net; at most 32 characters, the length of the host id); empty: func-pgaudit-<token>.')
@maxLength(32)
param functionAppName string = ''
@description('Name of the function\'s own storage account (host, deployment package, checkpoints, leases, dead letters); empty: stpgaudit<token>.')
@maxLength(24)
param stateStorageAccountName string = ''
@description('Name of the logs storage account created when existingLogsStorageAccountName is empty; empty: stlogs<token>.')
@maxLength(24)
param logsStorageAccountName string = ''
@description('Name of the Log Analytics workspace created when existingWorkspaceId is empty; empty: log-pgaudit-<token>.')
param workspaceName string = ''
@description('Name of the Application Insights component; empty: appi-pgaudit-<token>.')
param appInsightsName string = ''
@description('Name of the Data Collection Rule; empty: dcr-pgaudit-<token>.')
param dcrName string = ''
@description('Data Collection Rules the servers are spread over by a stable hash (PGAUDIT_DCR_SHARDS names all but the first; the names are dcrName, dcrName-1, ...). One DCR takes 2 GB and 12,000 requests per minute: raise this when the DCR-limit alerts fire (docs/deploy.md "Sizing").')
@minValue(1)
@maxValue(10)
param dcrShards int = 1
@description('Name of the alert action group; empty: ag-pgaudit-<token>.')
param actionGroupName string = ''
@description('Name of the query pack with the saved queries; empty: pack-pgaudit-<token>.')
param queryPackName string = ''
@description('Name of the Event Grid system topic on the logs account (one per account: give an existing one\'s name); empty: evgt-<logs account>. Used by the postdeploy hook.')
param eventGridSystemTopicName string = ''

@description('Resource id of an existing Log Analytics workspace (any resource group you can deploy to); empty creates one here.')
param existingWorkspaceId string = ''
@allowed(['Analytics', 'Basic'])
@description('PgAudit_CL plan: Analytics. Basic is refused with a message (the alerts and functions need Analytics): for cheaper bulk rows use tiering. The run records (PgAuditIngest_CL) are always Analytics.')
param tablePlan string = 'Analytics'
@description('Cost tiering: {"enabled": true, "bulkPlan": "Basic" | "Auxiliary", "bulkClasses": [...], "privilegedUsers": [...]} routes bulk session READ/WRITE rows of ordinary users to PgAuditBulk_CL; default off (docs/deploy.md).')
param tiering tieringSettings = {}
@minValue(4)
@maxValue(730)
@description('Interactive retention of PgAudit_CL and PgAuditIngest_CL in days (Analytics plan).')
param retentionInDays int = 90
@minValue(4)
@maxValue(4383)
@description('Total retention of PgAudit_CL and PgAuditIngest_CL in days, including the long-term (archive) part.')
param totalRetentionInDays int = 365
@description('Existing storage account in this resource group that receives the servers\' diagnostic logs; empty creates one. The function may only read it.')
param existingLogsStorageAccountName string = ''
@minValue(1)
@maxValue(1000)
@description('Most instances the Flex Consumption app scales out to.')
param maximumInstanceCount int = 40

// Settings of the app that a user tunes. Defaults and limits equal infra/generated/settings.json
// (test/infra/settings.test.ts): Bicep decorators take only literals, so the test keeps them equal.
@description('PGAUDIT_LOG_LINE_PREFIX: log_line_prefix of the servers (Flexible Server default %t-%c-).')
param logLinePrefix string = '%t-%c-'
@description('PGAUDIT_SERVER_LOG_LINE_PREFIXES: log_line_prefix of single servers, by server name (a wired server is added).')
param serverLogLinePrefixes serverPrefixMap = {}
@minValue(100)
@maxValue(60000)
@description('PGAUDIT_STATEMENT_CAP: cap in characters for Statement, Message, Detail and Parameter.')
param statementCap int = 32000
@description('PGAUDIT_REDACT_PATTERNS: extra redaction regexes (`re` or `/re/flags`; a group named "secret" limits the cut).')
param redactPatterns string[] = []
@description('PGAUDIT_FILTERS: rows not to ship, FIELD=VALUE or FIELD=/regex/flags (FIELD: EventType, UserName, DatabaseName, ApplicationName, Class, Command); counted per rule in the run records.')
param filters string[] = []
@minValue(1)
@maxValue(720)
@description('PGAUDIT_LOOKBACK_HOURS: blobs of this many past hours are checked for late appends on every run.')
param lookbackHours int = 48
@description('PGAUDIT_FLUSH_MB: MB of pending rows that start an upload, a decimal from 0.1 to 64 as text (Bicep has no decimal type; the app checks the range at start-up).')
param flushMb string = '8'
@minValue(1)
@maxValue(64)
@description('PGAUDIT_CONCURRENCY: servers shipped in parallel by one run.')
param concurrency int = 4
@minValue(1)
@maxValue(600)
@description('PGAUDIT_UPLOAD_TIMEOUT_SECONDS: an upload attempt without an answer for this long is abandoned and retried.')
param uploadTimeoutSeconds int = 60
@minValue(1)
@maxValue(20)
@description('PGAUDIT_UPLOAD_ATTEMPTS: attempts of one request on 408/429/5xx, network errors and timeouts before the run stops (nothing is dead-lettered).')
param uploadAttempts int = 6
@minValue(0)
@maxValue(1440)
@description('PGAUDIT_RUN_BUDGET_MINUTES: a run stops at a checkpoint after this long (0: no limit); the next run resumes.')
param runBudgetMinutes int = 8
@description('PGAUDIT_SWEEP_SCHEDULE: NCRONTAB (six fields) of the timer sweep.')
param sweepSchedule string = '0 */5 * * * *'
@minLength(3)
@maxLength(63)
@description('PGAUDIT_LOGS_CONTAINER: container of the diagnostic blobs; the Event Grid subscription filters on the same name. Azure diagnostic settings always write insights-logs-postgresqllogs.')
param logsContainer string = 'insights-logs-postgresqllogs'

@description('Wire an existing Flexible Server in this resource group: diagnostic setting, pgAudit parameters, log_line_prefix. Needs flexibleServerName.')
param wireServer bool = false
@description('Name of the Flexible Server to wire (same resource group); required when wireServer is true.')
param flexibleServerName string = ''
@description('log_line_prefix set on a wired server: names session, line, user, database, application and client.')
param wiredServerLogLinePrefix string = '%m [%p] %c %l %q%u@%d %a %r '
@description('Complete azure.extensions allow-list for a wired server (replaces the list: keep your existing entries).')
param azureExtensions string = 'PGAUDIT'
@description('Complete shared_preload_libraries for a wired server (replaces the list: keep your existing entries).')
param sharedPreloadLibraries string = 'pg_cron,pg_stat_statements,pgaudit'
@description('pgaudit.log of a wired server: the statement classes audited.')
param pgauditLog string = 'ddl, role, write, misc_set'
@allowed(['on', 'off'])
@description('pgaudit.log_parameter of a wired server.')
param pgauditLogParameter string = 'on'
@allowed(['on', 'off'])
@description('pgaudit.log_rows of a wired server.')
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
param ddlUsers string[] = ['migrations']
@minValue(1)
@description('Failed logins from one client within 15 minutes that raise an alert.')
param authFailureThreshold int = 10
@description('Tables whose reads alert, schema-qualified as pgAudit names them (e.g. public.accounts); empty: no rule.')
param sensitiveTables string[] = []
@description('Health alerts of the pipeline (pipeline silent, dead letters, lag, errors, server silent): each on by default, with its threshold; a JSON object such as {"lagBytes": 500000000, "serverSilent": false} (docs/deploy.md).')
param health healthSettings = {}
@description('Detection rules (docs/detections.md): each on by default, with its lists and thresholds; a JSON object such as {"bruteForce": {"threshold": 20}, "copyToStdout": {"excludedUsers": ["backup"]}}.')
param detections detectionSettings = {}
@description('Deploy the ASIM parsers for Microsoft Sentinel (vim/ASimAuthenticationPgAudit, vim/ASimAuditEventPgAudit) as workspace functions.')
param deploySentinelParsers bool = false
@description('The workspace has Microsoft Sentinel: deploy the detection pack as Sentinel scheduled analytics rules (incidents with Account, IP and Host entities, 14-day baselines) instead of Azure Monitor log search alerts (docs/detections.md).')
param sentinelAnalyticsRules bool = false
@description('Deploy the Azure Monitor workbook (audit overview and pipeline health).')
param deployWorkbook bool = true

var abbrs = loadJsonContent('abbreviations.json')
var settingsModel = loadJsonContent('generated/settings.json').settings
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var tags = { 'azd-env-name': environmentName }
var logsStorageName = existingOr(existingLogsStorageAccountName, logsStorageAccountName, 'existingLogsStorageAccountName', 'logsStorageAccountName', '${abbrs.storageStorageAccounts}logs${resourceToken}')
var names = resourceNames(abbrs, resourceToken, {
  identity: identityName, plan: planName, functionApp: functionAppName, stateStorage: stateStorageAccountName, logsStorage: logsStorageName
  workspace: existingOr(empty(existingWorkspaceId) ? '' : last(split(existingWorkspaceId, '/')), workspaceName, 'existingWorkspaceId', 'workspaceName', '${abbrs.operationalInsightsWorkspaces}pgaudit-${resourceToken}')
  appInsights: appInsightsName, dcr: dcrName, actionGroup: actionGroupName, queryPack: queryPackName, eventGridSystemTopic: eventGridSystemTopicName
})
// Tiering with its defaults (infra/generated/tiering.json), checked against the alerts it could blind.
var tier = tieringOf(tiering, loadJsonContent('generated/tiering.json'), sensitiveTables)
// Checked on every deployment that wires a server (the function's prefixes and the wiring module
// both read it), so the mistake stops the deployment with a message instead of a half-wired server.
var wiredServer = wiredServerName(wireServer, flexibleServerName, logsContainer, settingsModel.logsContainer.default)
// The wired server's prefix joins the per-server map (the function looks servers up in lower case).
var prefixes = wireServer ? union(serverLogLinePrefixes, { '${toLower(wiredServer)}': wiredServerLogLinePrefix }) : serverLogLinePrefixes
// The workspace module runs in the workspace's own subscription and resource group; a new
// workspace is created here (the synthesized id only supplies this deployment's scope).
var workspaceParts = split(empty(existingWorkspaceId) ? '${resourceGroup().id}/providers/Microsoft.OperationalInsights/workspaces/${names.workspace}' : existingWorkspaceId, '/')

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: names.identity
  location: location
  tags: tags
}

module workspace 'modules/workspace.bicep' = {
  name: 'workspace'
  scope: resourceGroup(workspaceParts[2], workspaceParts[4])
  params: {
    location: location, tags: tags
    workspaceName: workspaceParts[8]
    createWorkspace: empty(existingWorkspaceId)
    tablePlan: pgauditTablePlan(tablePlan, tier.enabled)
    retentionInDays: retentionInDays
    totalRetentionInDays: totalRetentionInDays
    tiering: tier
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location, tags: tags
    dcrName: names.dcr
    appInsightsName: names.appInsights
    workspaceId: workspace.outputs.workspaceId
    workspaceLocation: workspace.outputs.workspaceLocation
    tableName: workspace.outputs.tableName // the DCR waits for the tables
    runTableName: workspace.outputs.runTableName
    bulkTableName: workspace.outputs.bulkTableName
    tiering: tier
    dcrShards: dcrShards
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location, tags: tags
    stateAccountName: names.stateStorage
    logsAccountName: names.logsStorage
    createLogsAccount: empty(existingLogsStorageAccountName)
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: identity.properties.principalId
    dcrName: monitoring.outputs.dcrName
    appInsightsName: monitoring.outputs.appInsightsName
    stateAccountName: storage.outputs.stateAccountName
    logsAccountName: storage.outputs.logsAccountName
    shardDcrNames: monitoring.outputs.shardDcrNames
  }
}

// The value of each app setting this deployment sets, by key of infra/generated/settings.json; the
// module adds the streams and the client id and writes every setting of that file, with the file's
// default where neither has a value.
var settingValues = {
  ingestionEndpoint: monitoring.outputs.ingestionEndpoint, dcrImmutableId: monitoring.outputs.dcrImmutableId, dcrShards: string(monitoring.outputs.shardTargets)
  logsContainer: logsContainer, logLinePrefix: logLinePrefix, serverLogLinePrefixes: string(prefixes)
  statementCap: string(statementCap), redactPatterns: string(redactPatterns), filters: string(filters)
  lookbackHours: string(lookbackHours), flushMb: flushMb, concurrency: string(concurrency)
  uploadTimeoutSeconds: string(uploadTimeoutSeconds), uploadAttempts: string(uploadAttempts)
  runBudgetMinutes: string(runBudgetMinutes), sweepSchedule: sweepSchedule
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    location: location, tags: tags
    planName: names.plan
    functionAppName: names.functionApp
    identityId: identity.id
    identityClientId: identity.properties.clientId
    stateBlobEndpoint: storage.outputs.stateBlobEndpoint
    stateQueueEndpoint: storage.outputs.stateQueueEndpoint
    deploymentContainer: storage.outputs.deploymentContainer
    logsBlobEndpoint: storage.outputs.logsBlobEndpoint
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    settingValues: settingValues
    maximumInstanceCount: maximumInstanceCount
  }
  dependsOn: [roles] // the app starts with its identity already allowed in (storage, DCR, telemetry)
}

module wiring 'modules/postgres-wiring.bicep' = if (wireServer) {
  name: 'postgres-wiring'
  params: {
    serverName: wiredServer, logsAccountId: storage.outputs.logsAccountId, logLinePrefix: wiredServerLogLinePrefix
    azureExtensions: azureExtensions, sharedPreloadLibraries: sharedPreloadLibraries
    pgauditLog: pgauditLog, pgauditLogParameter: pgauditLogParameter, pgauditLogRows: pgauditLogRows
  }
}

module alerting 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    location: location, tags: tags
    actionGroupName: names.actionGroup
    queryPackName: names.queryPack
    rulePrefix: '${abbrs.insightsScheduledQueryRules}pgaudit-'
    ruleSuffix: '-${resourceToken}'
    workspaceId: workspace.outputs.workspaceId
    alertEmail: alertEmail
    changeWindowStartHour: changeWindowStartHour
    changeWindowEndHour: changeWindowEndHour
    ddlUsers: ddlUsers
    authFailureThreshold: authFailureThreshold
    sensitiveTables: sensitiveTables
    bothTierQueries: tier.enabled
  }
}

module healthAlerts 'modules/health-alerts.bicep' = {
  name: 'health-alerts'
  params: {
    location: location, tags: tags
    ruleSuffix: '-${resourceToken}'
    workspaceId: workspace.outputs.workspaceId
    dcrId: monitoring.outputs.dcrId
    shardDcrIds: monitoring.outputs.shardDcrIds
    actionGroupId: alerting.outputs.actionGroupId
    sweepSchedule: sweepSchedule
    settings: health
  }
}

// The detection pack (docs/detections.md): the rules here, their functions and the ASIM parsers
// with the workspace (after the tables: the queries come from the rules module, which waits for them).
module detectionRules 'modules/detections.bicep' = {
  name: 'detections'
  params: {
    location: location, tags: tags, rulePrefix: '${abbrs.insightsScheduledQueryRules}pgaudit-', ruleSuffix: '-${resourceToken}'
    workspaceId: workspace.outputs.workspaceId, actionGroupId: alerting.outputs.actionGroupId, settings: detections
    changeWindowStartHour: changeWindowStartHour, changeWindowEndHour: changeWindowEndHour, migrationUsers: ddlUsers
    sentinelAnalyticsRules: sentinelAnalyticsRules
  }
}

module sentinelRules 'modules/sentinel-rules.bicep' = if (sentinelAnalyticsRules) {
  name: 'sentinel-rules'
  scope: resourceGroup(workspaceParts[2], workspaceParts[4])
  params: { workspaceName: workspaceParts[8], rules: detectionRules.outputs.analyticsRules }
}

module detectionFunctions 'modules/detection-functions.bicep' = {
  name: 'detection-functions'
  scope: resourceGroup(workspaceParts[2], workspaceParts[4])
  params: { workspaceName: workspaceParts[8], detectionQueries: detectionRules.outputs.queries, deploySentinelParsers: deploySentinelParsers }
}

module workbook 'modules/workbook.bicep' = if (deployWorkbook) {
  name: 'workbook'
  params: { location: location, tags: tags, workspaceId: workspace.outputs.workspaceId }
}

// azd stores these in the environment; scripts/azd/postdeploy.sh and `pgaudit-ingest smoke
// --azd-env-file` read them. No secrets here (a workspace id is an identifier, not a key).
output AZURE_RESOURCE_GROUP string = resourceGroup().name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_HOST_NAME string = functionApp.outputs.defaultHostName
output LOGS_STORAGE_ACCOUNT_NAME string = storage.outputs.logsAccountName
output EVENTGRID_SYSTEM_TOPIC_NAME string = names.eventGridSystemTopic
output PGAUDIT_LOGS_CONTAINER string = logsContainer
output PGAUDIT_INGESTION_ENDPOINT string = monitoring.outputs.ingestionEndpoint
output PGAUDIT_DCR_IMMUTABLE_ID string = monitoring.outputs.dcrImmutableId
output PGAUDIT_DCR_SHARDS string = string(monitoring.outputs.shardTargets)
output LOG_ANALYTICS_WORKSPACE_ID string = workspace.outputs.workspaceId
output LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID string = workspace.outputs.workspaceCustomerId
