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

/** A header field of a detection file (`// Severity: 1`). */
func header(kql string, field string) string => trim(split(split(kql, '// ${field}: ')[1], '\n')[0])

/** The query with the `let <name> = …;` lines of `lets` set (names absent from `lets` keep their default). */
func withLets(kql string, lets object) string =>
  join(map(split(kql, '\n'), line => startsWith(line, 'let ') && contains(lets, split(line, ' ')[1]) ? 'let ${split(line, ' ')[1]} = ${lets[split(line, ' ')[1]]};' : line), '\n')

/** A KQL dynamic list literal of strings (JSON escaping is KQL's). */
func list(values array) string => 'dynamic(${string(values)})'

var s = settings
var byServer = { name: 'ServerName', operator: 'Include', values: ['*'] }
var byUser = { name: 'UserName', operator: 'Include', values: ['*'] }
var byClient = { name: 'ClientHost', operator: 'Include', values: ['*'] }
// Statement and threshold rules: every 5 minutes over 15 (rows arriving late are still seen; the
// existing alerts do the same). Baselines: hourly over the last hour, reading the baseline days
// before it (overrideQueryTimeRange; a log search alert reads at most two days).
var fast = { frequency: 'PT5M', window: 'PT15M', days: 0 }
var firstSeenDays = s.?firstSeenAccess.?baselineDays ?? 2
var probeDays = s.?injectionProbe.?baselineDays ?? 1
var bulkDays = s.?bulkReadBaseline.?baselineDays ?? 2
var rules = [
  { name: 'audit-tampering', alias: 'AuditTampering', on: s.?auditTampering.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-audit-tampering.kql'), { ExcludedUsers: list(s.?auditTampering.?excludedUsers ?? []) }) }
  { name: 'server-program-files', alias: 'ServerProgramFiles', on: s.?serverProgramFiles.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-server-program-files.kql'), { ExcludedUsers: list(s.?serverProgramFiles.?excludedUsers ?? []) }) }
  { name: 'privileged-role-change', alias: 'PrivilegedRoleChange', on: s.?privilegedRoleChange.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-privileged-role-change.kql'), { ExcludedUsers: list(s.?privilegedRoleChange.?excludedUsers ?? []) }) }
  { name: 'backdoor-login-role', alias: 'BackdoorLoginRole', on: s.?backdoorLoginRole.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-backdoor-login-role.kql'), union(
      { ExcludedUsers: list(s.?backdoorLoginRole.?excludedUsers ?? []) }, s.?backdoorLoginRole.?roleAdmins == null ? {} : { RoleAdmins: list(s.?backdoorLoginRole.?roleAdmins!) })) }
  { name: 'privileged-grants', alias: 'PrivilegedGrants', on: s.?privilegedGrants.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-privileged-grants.kql'), union(
      { ExcludedUsers: list(s.?privilegedGrants.?excludedUsers ?? []) }, s.?privilegedGrants.?privilegedRoles == null ? {} : { PrivilegedRoles: list(s.?privilegedGrants.?privilegedRoles!) })) }
  { name: 'identity-switch', alias: 'IdentitySwitch', on: s.?identitySwitch.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-identity-switch.kql'), { ExcludedUsers: list(s.?identitySwitch.?excludedUsers ?? []) }) }
  { name: 'dangerous-extensions', alias: 'DangerousExtensions', on: s.?dangerousExtensions.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-dangerous-extensions.kql'), union(
      { ExcludedUsers: list(s.?dangerousExtensions.?excludedUsers ?? []) }, s.?dangerousExtensions.?extensions == null ? {} : { DangerousExtensions: list(s.?dangerousExtensions.?extensions!) })) }
  { name: 'lateral-movement', alias: 'LateralMovement', on: s.?lateralMovement.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-lateral-movement.kql'), { ExcludedUsers: list(s.?lateralMovement.?excludedUsers ?? []) }) }
  { name: 'credential-access', alias: 'CredentialAccess', on: s.?credentialAccess.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-credential-access.kql'), { ExcludedUsers: list(s.?credentialAccess.?excludedUsers ?? []) }) }
  { name: 'event-trigger', alias: 'EventTrigger', on: s.?eventTrigger.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-event-trigger.kql'), { ExcludedUsers: list(s.?eventTrigger.?excludedUsers ?? []) }) }
  { name: 'brute-force', alias: 'BruteForce', on: s.?bruteForce.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-brute-force.kql'), { ExcludedUsers: list(s.?bruteForce.?excludedUsers ?? []), Threshold: string(s.?bruteForce.?threshold ?? 10) }) }
  { name: 'password-spray', alias: 'PasswordSpray', on: s.?passwordSpray.?enabled ?? true, timing: fast, dims: [byServer, byClient]
    query: withLets(loadTextContent('../kql/detect-password-spray.kql'), { ExcludedClients: list(s.?passwordSpray.?excludedClients ?? []), Threshold: string(s.?passwordSpray.?threshold ?? 10) }) }
  { name: 'success-after-failures', alias: 'SuccessAfterFailures', on: s.?successAfterFailures.?enabled ?? true, timing: fast, dims: [byServer, byUser, byClient]
    query: withLets(loadTextContent('../kql/detect-success-after-failures.kql'), { ExcludedUsers: list(s.?successAfterFailures.?excludedUsers ?? []), Threshold: string(s.?successAfterFailures.?threshold ?? 5) }) }
  { name: 'first-seen-access', alias: 'FirstSeenAccess', on: s.?firstSeenAccess.?enabled ?? true, timing: { frequency: 'PT1H', window: 'PT1H', days: firstSeenDays }, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-first-seen-access.kql'), { ExcludedUsers: list(s.?firstSeenAccess.?excludedUsers ?? []), Baseline: '${firstSeenDays}d' }) }
  { name: 'bulk-read-baseline', alias: 'BulkReadBaseline', on: s.?bulkReadBaseline.?enabled ?? true, timing: { frequency: 'PT1H', window: 'PT1H', days: bulkDays }, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-bulk-read-baseline.kql'), {
      ExcludedUsers: list(s.?bulkReadBaseline.?excludedUsers ?? []), Baseline: '${bulkDays}d'
      MinRows: string(s.?bulkReadBaseline.?minRows ?? 1000), Multiplier: string(s.?bulkReadBaseline.?multiplier ?? 10) }) }
  { name: 'copy-to-stdout', alias: 'CopyToStdout', on: s.?copyToStdout.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-copy-to-stdout.kql'), { ExcludedUsers: list(s.?copyToStdout.?excludedUsers ?? []) }) }
  { name: 'many-tables-read', alias: 'ManyTablesRead', on: s.?manyTablesRead.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-many-tables-read.kql'), { ExcludedUsers: list(s.?manyTablesRead.?excludedUsers ?? []), Threshold: string(s.?manyTablesRead.?threshold ?? 10) }) }
  { name: 'mass-destruction', alias: 'MassDestruction', on: s.?massDestruction.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-mass-destruction.kql'), {
      ExcludedUsers: list(s.?massDestruction.?excludedUsers ?? []), DropThreshold: string(s.?massDestruction.?dropThreshold ?? 10), RowsThreshold: string(s.?massDestruction.?rowsThreshold ?? 1000) }) }
  { name: 'sql-injection-recon', alias: 'SqlInjectionRecon', on: s.?sqlInjectionRecon.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-sql-injection-recon.kql'), {
      ExcludedApplications: list(s.?sqlInjectionRecon.?excludedApplications ?? []), Threshold: string(s.?sqlInjectionRecon.?threshold ?? 10) }) }
  // Every 5 minutes over the last 15, reading the baseline day(s) before (overrideQueryTimeRange).
  { name: 'injection-probe', alias: 'InjectionProbe', on: s.?injectionProbe.?enabled ?? true, timing: { frequency: 'PT5M', window: 'PT15M', days: probeDays }, dims: [byServer, byUser, byClient]
    query: withLets(loadTextContent('../kql/detect-injection-probe.kql'), {
      ExcludedUsers: list(s.?injectionProbe.?excludedUsers ?? []), MinStates: string(s.?injectionProbe.?minStates ?? 3), Baseline: '${probeDays}d' }) }
  { name: 'destructive-statement', alias: 'DestructiveStatement', on: s.?destructiveStatement.?enabled ?? true, timing: fast, dims: [byServer, byUser]
    query: withLets(loadTextContent('../kql/detect-destructive-statement.kql'), {
      ExcludedUsers: list(s.?destructiveStatement.?excludedUsers ?? []), RowsThreshold: string(s.?destructiveStatement.?rowsThreshold ?? 1000)
      ChangeWindowStartHour: string(changeWindowStartHour), ChangeWindowEndHour: string(changeWindowEndHour), MigrationUsers: list(migrationUsers) }) }
]

resource detections 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for r in rules: {
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

@description('Each rule\'s final query and function alias, for the workspace functions (detection-functions.bicep).')
output queries array = map(rules, r => { name: r.name, alias: 'PgAuditDetection_${r.alias}', query: r.query })
