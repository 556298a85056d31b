// The detection pack (docs/detections.md): one scheduled query rule per infra/kql/detect-*.kql file.
// Severity and description come from the file's header, so the rule and its documentation cannot
// disagree; a setting replaces only the `let` line it names (kql.test.ts checks every deployed text
// against its file). The final texts are an output: detection-functions.bicep also deploys each as
// a workspace function PgAuditDetection_<Rule>() (the workbook's "detections fired", Sentinel).
import { detectionSettings } from '../detection-settings.bicep'

param location string
param tags object
@description('Rule names are <rulePrefix><rule><ruleSuffix>.')
param rulePrefix string
param ruleSuffix string
param workspaceId string
param actionGroupId string
param settings detectionSettings
@description('The change window (UTC hours, start inclusive, end exclusive) and the users allowed to run DDL in it: main.bicep\'s changeWindowStartHour, changeWindowEndHour and ddlUsers (the DDL alert has the same).')
param changeWindowStartHour int
param changeWindowEndHour int
param migrationUsers string[]
@description('The workspace has Microsoft Sentinel: the rules become Sentinel analytics rules (sentinel-rules.bicep, from output analyticsRules) instead of log search alerts here.')
param sentinelAnalyticsRules bool = false

/** A header field of a detection file (`// Severity: 1`). */
func header(kql string, field string) string => trim(split(split(kql, '// ${field}: ')[1], '\n')[0])

/** The query with the `let <name> = …;` lines of `lets` set (names absent from `lets` keep their default). */
func withLets(kql string, lets object) string =>
  join(map(split(kql, '\n'), line => startsWith(line, 'let ') && contains(lets, split(line, ' ')[1]) ? 'let ${split(line, ' ')[1]} = ${lets[split(line, ' ')[1]]};' : line), '\n')

/** A KQL dynamic list literal of strings (JSON escaping is KQL's). */
func list(values array) string => 'dynamic(${string(values)})'

var s = settings
// Sentinel custom details of a rule that returns rows: the statement, and the message of a refused attempt.
var rowDetails = { Statement: 'Statement', Message: 'Message' }
var byServer = { name: 'ServerName', operator: 'Include', values: ['*'] }
var byUser = { name: 'UserName', operator: 'Include', values: ['*'] }
var byClient = { name: 'ClientHost', operator: 'Include', values: ['*'] }
// Statement and threshold rules: every 5 minutes over 15 (rows arriving late are still seen; the
// existing alerts do the same). Baselines: hourly over the last hour, reading the baseline days
// before it (overrideQueryTimeRange; a log search alert reads at most two days).
var fast = { frequency: 'PT5M', window: 'PT15M', days: 0 }
var firstSeenDays = s.?firstSeenAccess.?baselineDays ?? 2
// Analytics rules read up to 14 days: the baseline rules train on analyticsBaselineDays (default 14) there.
var firstSeenDays14 = s.?firstSeenAccess.?analyticsBaselineDays ?? 14
var bulkDays14 = s.?bulkReadBaseline.?analyticsBaselineDays ?? 14
var analyticsBaselines = {
  'first-seen-access': { days: firstSeenDays14, query: withLets(loadTextContent('../kql/detect-first-seen-access.kql'), { ExcludedUsers: list(s.?firstSeenAccess.?excludedUsers ?? []), Baseline: '${firstSeenDays14}d' }) }
  'bulk-read-baseline': { days: bulkDays14, query: withLets(loadTextContent('../kql/detect-bulk-read-baseline.kql'), {
    ExcludedUsers: list(s.?bulkReadBaseline.?excludedUsers ?? []), Baseline: '${bulkDays14}d'
    MinRows: string(s.?bulkReadBaseline.?minRows ?? 1000), Multiplier: string(s.?bulkReadBaseline.?multiplier ?? 10) }) }
}
var probeDays = s.?injectionProbe.?baselineDays ?? 1
var bulkDays = s.?bulkReadBaseline.?baselineDays ?? 2
var rules = [
  { name: 'audit-tampering', account: true, ip: true, details: rowDetails, alias: 'AuditTampering', on: s.?auditTampering.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-audit-tampering.kql'), { ExcludedUsers: list(s.?auditTampering.?excludedUsers ?? []) }) }
  { name: 'server-program-files', account: true, ip: true, details: rowDetails, alias: 'ServerProgramFiles', on: s.?serverProgramFiles.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-server-program-files.kql'), { ExcludedUsers: list(s.?serverProgramFiles.?excludedUsers ?? []) }) }
  { name: 'privileged-role-change', account: true, ip: true, details: rowDetails, alias: 'PrivilegedRoleChange', on: s.?privilegedRoleChange.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-privileged-role-change.kql'), { ExcludedUsers: list(s.?privilegedRoleChange.?excludedUsers ?? []) }) }
  { name: 'backdoor-login-role', account: true, ip: true, details: rowDetails, alias: 'BackdoorLoginRole', on: s.?backdoorLoginRole.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-backdoor-login-role.kql'), union(
      { ExcludedUsers: list(s.?backdoorLoginRole.?excludedUsers ?? []) }, s.?backdoorLoginRole.?roleAdmins == null ? {} : { RoleAdmins: list(s.?backdoorLoginRole.?roleAdmins!) })) }
  { name: 'privileged-grants', account: true, ip: true, details: rowDetails, alias: 'PrivilegedGrants', on: s.?privilegedGrants.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-privileged-grants.kql'), union(
      { ExcludedUsers: list(s.?privilegedGrants.?excludedUsers ?? []) }, s.?privilegedGrants.?privilegedRoles == null ? {} : { PrivilegedRoles: list(s.?privilegedGrants.?privilegedRoles!) })) }
  { name: 'identity-switch', account: true, ip: true, details: rowDetails, alias: 'IdentitySwitch', on: s.?identitySwitch.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-identity-switch.kql'), { ExcludedUsers: list(s.?identitySwitch.?excludedUsers ?? []) }) }
  { name: 'dangerous-extensions', account: true, ip: true, details: rowDetails, alias: 'DangerousExtensions', on: s.?dangerousExtensions.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-dangerous-extensions.kql'), union(
      { ExcludedUsers: list(s.?dangerousExtensions.?excludedUsers ?? []) }, s.?dangerousExtensions.?extensions == null ? {} : { DangerousExtensions: list(s.?dangerousExtensions.?extensions!) })) }
  { name: 'lateral-movement', account: true, ip: true, details: rowDetails, alias: 'LateralMovement', on: s.?lateralMovement.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-lateral-movement.kql'), { ExcludedUsers: list(s.?lateralMovement.?excludedUsers ?? []) }) }
  { name: 'credential-access', account: true, ip: true, details: rowDetails, alias: 'CredentialAccess', on: s.?credentialAccess.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-credential-access.kql'), { ExcludedUsers: list(s.?credentialAccess.?excludedUsers ?? []) }) }
  { name: 'event-trigger', account: true, ip: true, details: rowDetails, alias: 'EventTrigger', on: s.?eventTrigger.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-event-trigger.kql'), { ExcludedUsers: list(s.?eventTrigger.?excludedUsers ?? []) }) }
  { name: 'brute-force', account: true, ip: false, details: { Clients: 'Clients', Failures: 'Failures' }, alias: 'BruteForce', on: s.?bruteForce.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-brute-force.kql'), { ExcludedUsers: list(s.?bruteForce.?excludedUsers ?? []), Threshold: string(s.?bruteForce.?threshold ?? 10) }) }
  { name: 'password-spray', account: false, ip: true, details: { Users: 'UserList', Failures: 'Failures' }, alias: 'PasswordSpray', on: s.?passwordSpray.?enabled ?? true, timing: fast, dims: [byServer, byClient]
    query: withLets(loadTextContent('../kql/detect-password-spray.kql'), { ExcludedClients: list(s.?passwordSpray.?excludedClients ?? []), Threshold: string(s.?passwordSpray.?threshold ?? 10) }) }
  { name: 'success-after-failures', account: true, ip: true, details: { Failures: 'Failures' }, alias: 'SuccessAfterFailures', on: s.?successAfterFailures.?enabled ?? true, timing: fast, dims: [byServer, byUser, byClient]
    query: withLets(loadTextContent('../kql/detect-success-after-failures.kql'), { ExcludedUsers: list(s.?successAfterFailures.?excludedUsers ?? []), Threshold: string(s.?successAfterFailures.?threshold ?? 5) }) }
  { name: 'first-seen-access', account: true, ip: true, details: { Application: 'ConnectApplicationName' }, alias: 'FirstSeenAccess', on: s.?firstSeenAccess.?enabled ?? true, timing: { frequency: 'PT1H', window: 'PT1H', days: firstSeenDays }, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-first-seen-access.kql'), { ExcludedUsers: list(s.?firstSeenAccess.?excludedUsers ?? []), Baseline: '${firstSeenDays}d' }) }
  { name: 'bulk-read-baseline', account: true, ip: true, details: { Statement: 'Statement', Rows: 'Rows' }, alias: 'BulkReadBaseline', on: s.?bulkReadBaseline.?enabled ?? true, timing: { frequency: 'PT1H', window: 'PT1H', days: bulkDays }, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-bulk-read-baseline.kql'), {
      ExcludedUsers: list(s.?bulkReadBaseline.?excludedUsers ?? []), Baseline: '${bulkDays}d'
      MinRows: string(s.?bulkReadBaseline.?minRows ?? 1000), Multiplier: string(s.?bulkReadBaseline.?multiplier ?? 10) }) }
  { name: 'copy-to-stdout', account: true, ip: true, details: { Statement: 'Statement' }, alias: 'CopyToStdout', on: s.?copyToStdout.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-copy-to-stdout.kql'), { ExcludedUsers: list(s.?copyToStdout.?excludedUsers ?? []) }) }
  { name: 'many-tables-read', account: true, ip: false, details: { Tables: 'TableList' }, alias: 'ManyTablesRead', on: s.?manyTablesRead.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-many-tables-read.kql'), { ExcludedUsers: list(s.?manyTablesRead.?excludedUsers ?? []), Threshold: string(s.?manyTablesRead.?threshold ?? 10) }) }
  { name: 'mass-destruction', account: true, ip: false, details: { Statements: 'Statements', Rows: 'Rows' }, alias: 'MassDestruction', on: s.?massDestruction.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-mass-destruction.kql'), {
      ExcludedUsers: list(s.?massDestruction.?excludedUsers ?? []), DropThreshold: string(s.?massDestruction.?dropThreshold ?? 10), RowsThreshold: string(s.?massDestruction.?rowsThreshold ?? 1000) }) }
  { name: 'sql-injection-recon', account: true, ip: true, details: { Messages: 'Messages', States: 'States' }, alias: 'SqlInjectionRecon', on: s.?sqlInjectionRecon.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-sql-injection-recon.kql'), {
      ExcludedApplications: list(s.?sqlInjectionRecon.?excludedApplications ?? []), Threshold: string(s.?sqlInjectionRecon.?threshold ?? 10) }) }
  // Every 5 minutes over the last 15, reading the baseline day(s) before (overrideQueryTimeRange).
  { name: 'injection-probe', account: true, ip: true, details: { Messages: 'Messages', States: 'States' }, alias: 'InjectionProbe', on: s.?injectionProbe.?enabled ?? true, timing: { frequency: 'PT5M', window: 'PT15M', days: probeDays }, dims: [byServer, byUser, byClient]
    query: withLets(loadTextContent('../kql/detect-injection-probe.kql'), {
      ExcludedUsers: list(s.?injectionProbe.?excludedUsers ?? []), MinStates: string(s.?injectionProbe.?minStates ?? 3), Baseline: '${probeDays}d' }) }
  { name: 'destructive-statement', account: true, ip: true, details: { Statement: 'Statement', Rows: 'Rows' }, alias: 'DestructiveStatement', on: s.?destructiveStatement.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-destructive-statement.kql'), {
      ExcludedUsers: list(s.?destructiveStatement.?excludedUsers ?? []), RowsThreshold: string(s.?destructiveStatement.?rowsThreshold ?? 1000)
      ChangeWindowStartHour: string(changeWindowStartHour), ChangeWindowEndHour: string(changeWindowEndHour), MigrationUsers: list(migrationUsers) }) }
]

resource detections 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for r in rules: if (!sentinelAnalyticsRules) {
    name: '${rulePrefix}detect-${r.name}${ruleSuffix}'
    location: location
    tags: tags
    properties: union(
      {
        displayName: 'pgAudit detection: ${r.name}'
        description: header(r.query, 'Detection')
        severity: int(header(r.query, 'Severity'))
        enabled: r.on
        scopes: [workspaceId]
        evaluationFrequency: r.timing.frequency
        windowSize: r.timing.window
        criteria: {
          allOf: [
            {
              query: r.query
              timeAggregation: 'Count'
              dimensions: r.dims
              operator: 'GreaterThan'
              threshold: 0
              failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
            }
          ]
        }
        actions: { actionGroups: [actionGroupId] }
      },
      r.timing.days == 0 ? {} : { overrideQueryTimeRange: 'P${r.timing.days}D' }
    )
  }
]

/** The query a deployment runs for a rule: the analytics rule's (14-day baseline) with Sentinel, else the alert's. */
func deployedQuery(r object, sentinel bool, baselines object) string => sentinel && contains(baselines, r.name) ? baselines[r.name].query : r.query

@description('Each rule\'s final query (as the kind of rule deployed runs it) and function alias, for the workspace functions (detection-functions.bicep).')
output queries array = map(rules, r => { name: r.name, alias: 'PgAuditDetection_${r.alias}', query: deployedQuery(r, sentinelAnalyticsRules, analyticsBaselines) })

// Microsoft Sentinel analytics rules (sentinel-rules.bicep): the same queries with their header's
// severity, description, tactics and techniques (infra/attack-techniques.json, read from mitre/cti),
// entity mappings (Account = UserName with the server as NTDomain, IP = ClientHost, Host =
// ServerName; identifiers from Microsoft's entity reference, docs/detections.md) and custom details.
var attack = loadJsonContent('../attack-techniques.json')
func attackIds(kql string) string[] => split(header(kql, 'ATT&CK'), ', ')
/** Azure Monitor severity (0 critical … 4 verbose) as Sentinel's AlertSeverity. */
func sentinelSeverity(severity int) string => severity == 0 ? 'High' : severity == 1 ? 'Medium' : severity == 2 ? 'Low' : 'Informational'
var hostEntity = { entityType: 'Host', fieldMappings: [{ identifier: 'HostName', columnName: 'ServerName' }] }
var accountEntity = { entityType: 'Account', fieldMappings: [{ identifier: 'Name', columnName: 'UserName' }, { identifier: 'NTDomain', columnName: 'ServerName' }] }
var ipEntity = { entityType: 'IP', fieldMappings: [{ identifier: 'Address', columnName: 'ClientHost' }] }

@description('What sentinel-rules.bicep deploys for each rule.')
output analyticsRules array = map(rules, r => {
  name: r.name
  displayName: 'pgAudit detection: ${r.name}'
  description: header(r.query, 'Detection')
  severity: sentinelSeverity(int(header(r.query, 'Severity')))
  enabled: r.on
  query: deployedQuery(r, true, analyticsBaselines)
  queryFrequency: r.timing.frequency
  // The query reads its baseline days (ago(Baseline)) or its window.
  queryPeriod: contains(analyticsBaselines, r.name) ? 'P${analyticsBaselines[r.name].days}D' : r.timing.days == 0 ? r.timing.window : 'P${r.timing.days}D'
  tactics: union(map(flatten(map(attackIds(r.query), id => attack.techniques[id].tactics)), t => attack.sentinelTactics[t]), [])
  techniques: union(map(attackIds(r.query), id => split(id, '.')[0]), [])
  entityMappings: concat([hostEntity], r.account ? [accountEntity] : [], r.ip ? [ipEntity] : [])
  groupByEntities: concat(['Host'], r.account ? ['Account'] : ['IP'])
  customDetails: r.details
})
