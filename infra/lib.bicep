// Types and functions main.bicep and the modules import (compile-time): naming rules, the wiring
// guard, the health-alert and tiering settings, the PgAudit_CL plan guard and a KQL literal helper.

@export()
@description('log_line_prefix by server name.')
type serverPrefixMap = { *: string }

@export()
@description('The name given, or the generated one when it is empty.')
func nameOr(given string, generated string) string => empty(given) ? generated : given

@export()
@description('Every resource name: the one given, or abbreviation + pgaudit + token (abbreviations.json); the logs account and the workspace come already resolved (existingOr()).')
func resourceNames(a object, token string, given object) object => {
  identity: nameOr(given.identity, '${a.managedIdentityUserAssignedIdentities}pgaudit-${token}')
  plan: nameOr(given.plan, '${a.webServerFarms}pgaudit-${token}')
  functionApp: nameOr(given.functionApp, '${a.webSitesFunctions}pgaudit-${token}')
  stateStorage: nameOr(given.stateStorage, '${a.storageStorageAccounts}pgaudit${token}')
  logsStorage: given.logsStorage
  workspace: given.workspace
  appInsights: nameOr(given.appInsights, '${a.insightsComponents}pgaudit-${token}')
  dcr: nameOr(given.dcr, '${a.insightsDataCollectionRules}pgaudit-${token}')
  actionGroup: nameOr(given.actionGroup, '${a.insightsActionGroups}pgaudit-${token}')
  queryPack: nameOr(given.queryPack, '${a.operationalInsightsQueryPacks}pgaudit-${token}')
  eventGridSystemTopic: nameOr(given.eventGridSystemTopic, '${a.eventGridSystemTopics}${given.logsStorage}')
}

@export()
@description('An existing resource and a name for a new one contradict each other: refuse instead of guessing.')
func existingOr(existing string, newName string, existingParam string, newParam string, generated string) string =>
  !empty(existing) && !empty(newName)
    ? fail('Set ${existingParam} or ${newParam}, not both.')
    : !empty(existing) ? existing : nameOr(newName, generated)

@export()
@description('The server to wire, or empty; stops the deployment when wiring is asked for without a server, or when the container the app reads is not the one diagnostic settings write.')
func wiredServerName(wireServer bool, serverName string, logsContainer string, diagnosticContainer string) string =>
  !wireServer
    ? ''
    : empty(serverName)
        ? fail('wireServer is true but flexibleServerName is empty: set PGAUDIT_FLEXIBLE_SERVER_NAME to the server to wire.')
        : logsContainer != diagnosticContainer
            ? fail('A wired server\'s diagnostic setting writes to ${diagnosticContainer}; logsContainer ${logsContainer} would never see its blobs.')
            : serverName

@export()
@sealed()
@description('Health alerts on the run records (PgAuditIngest_CL) and the DCR; every field is optional (defaults and how to respond: docs/deploy.md).')
type healthSettings = {
  @description('Pipeline silent: a metric alert on the DCR\'s Logs Ingestion Requests per Min and a log alert on sweep heartbeats (default true).')
  pipelineSilent: bool?
  @description('Window of the pipeline-silent alerts in minutes (a metric alert window); default: three sweep intervals of sweepSchedule, rounded up.')
  pipelineSilentMinutes: (5 | 15 | 30 | 60 | 360 | 720)?
  @description('Dead letters: any range with rows the service refused as invalid (default true).')
  deadLetters: bool?
  @description('Lag: every sweep heartbeat of two consecutive windows left more than lagBytes unread (default true).')
  lag: bool?
  @minValue(1)
  @description('Lag threshold in bytes (default 100000000).')
  lagBytes: int?
  @description('Errors: any error record (a stopped server or run, a notice about lost state) (default true).')
  errors: bool?
  @description('Server silent: a server\'s blobs grew but none of the new lines became a row for serverSilentHours (default true).')
  serverSilent: bool?
  @description('Window of the server-silent alert in hours (a log alert window; default 6).')
  serverSilentHours: (1 | 2 | 3 | 4 | 5 | 6 | 24 | 48)?
  @description('DCR limits: per DCR, metric alerts on throttled requests (Logs Ingestion Requests per Min with ResponseCode 429) and on bytes per minute near the DCR limit (default true).')
  dcrLimits: bool?
  @minValue(1)
  @description('Throttled (429) requests to one DCR in 15 minutes that raise the alert (default 60: retries absorb a few).')
  dcrThrottledRequests: int?
  @minValue(1)
  @maxValue(100)
  @description('Percent of the DCR limit of 2 GB per minute (averaged over 15 minutes) that raises the alert (default 70).')
  dcrBytesPercent: int?
}

@export()
@sealed()
@description('Cost tiering (off by default): bulk session-audit rows go to a cheaper table, PgAuditBulk_CL; everything else stays in PgAudit_CL, where the alerts run. The rule is src/tiering.ts tierOf() (docs/deploy.md "Tiered cost").')
type tieringSettings = {
  @description('Route bulk rows to PgAuditBulk_CL (default false).')
  enabled: bool?
  @description('Plan of PgAuditBulk_CL: Basic (cheaper ingestion, same columns) or Auxiliary (cheapest, dynamic columns stored as JSON text, set at creation only); default Basic.')
  bulkPlan: ('Basic' | 'Auxiliary')?
  @description('pgAudit classes whose SESSION-audit rows are bulk (default ["READ", "WRITE"], infra/generated/tiering.json). ROLE and DDL never are: their alerts run on PgAudit_CL.')
  bulkClasses: ('READ' | 'WRITE' | 'FUNCTION' | 'MISC')[]?
  @description('Users whose rows always stay in PgAudit_CL (admins, migration and break-glass roles); default none.')
  privilegedUsers: string[]?
  @description('Set true when the sensitiveTables are audited with pgAudit object auditing (OBJECT rows stay in PgAudit_CL): only then may READ be bulk while the sensitive-table-reads alert is on.')
  sensitiveTablesObjectAudited: bool?
}

@export()
@description('The tiering settings with their defaults (the rule from infra/generated/tiering.json), or a stop when they would hide rows from an alert or route nothing.')
func tieringOf(t tieringSettings, generated object, sensitiveTables string[]) object =>
  !(t.?enabled ?? false)
    ? { enabled: false, plan: '', bulkTableName: generated.bulkTableName, bulkClasses: [], privilegedUsers: [], dynamicAsText: [] }
    : empty(t.?bulkClasses ?? generated.defaultRule.bulkClasses)
        ? fail('tiering.bulkClasses is empty: no row would go to ${generated.bulkTableName}. List the classes to route (e.g. ["READ", "WRITE"]) or set tiering.enabled to false.')
        : contains(t.?bulkClasses ?? generated.defaultRule.bulkClasses, 'READ') && !empty(sensitiveTables) && !(t.?sensitiveTablesObjectAudited ?? false)
            ? fail('Tiering routes session-audited READ rows to ${generated.bulkTableName}, where no alert can run, so the sensitive-table-reads alert would miss reads of sensitiveTables. Audit those tables with pgAudit object auditing (OBJECT rows stay in PgAudit_CL) and set tiering.sensitiveTablesObjectAudited to true, or remove READ from tiering.bulkClasses.')
            : {
                enabled: true
                plan: t.?bulkPlan ?? 'Basic'
                bulkTableName: generated.bulkTableName
                bulkClasses: t.?bulkClasses ?? generated.defaultRule.bulkClasses
                privilegedUsers: t.?privilegedUsers ?? generated.defaultRule.privilegedUsers
                dynamicAsText: (t.?bulkPlan ?? 'Basic') == 'Auxiliary' ? generated.dynamicAsTextOnAuxiliary : []
              }

@export()
@description('The plan of PgAudit_CL: always Analytics. The alert rules, PgAudit() and PgAuditCompleteness() need it (a Basic table runs no functions or joins, and only simple log alerts); the cheaper plans are for the bulk rows, through tiering.')
func pgauditTablePlan(tablePlan string, tiered bool) string =>
  tablePlan == 'Analytics'
    ? tablePlan
    : fail(tiered
        ? 'tablePlan Basic with tiering: PgAudit_CL keeps the security-relevant rows and the alerts, so it stays Analytics; the bulk rows\' plan is tiering.bulkPlan (Basic or Auxiliary).'
        : 'tablePlan Basic is refused: the alert rules, PgAudit() and PgAuditCompleteness() need PgAudit_CL on the Analytics plan (a Basic table allows no functions or joins and only simple log alerts). To pay less for bulk READ/WRITE rows, turn on tiering: {"enabled": true, "bulkPlan": "Basic"} routes them to PgAuditBulk_CL and keeps the rest alerting.')

@export()
@description('A JSON list as the text of a KQL single-quoted string literal for parse_json(): backslashes and quotes escaped.')
func kqlJsonText(list array) string => '\'${replace(replace(string(list), '\\', '\\\\'), '\'', '\\\'')}\''
