// Alerting and exploration on the parsed columns: an action group, scheduled query rules and a
// query pack with saved queries (the PgAudit() function lives with the workspace). Every query is
// a .kql file under infra/kql, valid KQL on its own (checked by Kusto.Language in the tests);
// a parameter replaces the default `let` line it names, nothing else is changed.
param location string
param tags object
param actionGroupName string
param queryPackName string
@description('Alert rule names are <rulePrefix><rule><ruleSuffix>, e.g. sqr-pgaudit-role-changes-<token>.')
param rulePrefix string
param ruleSuffix string
param workspaceId string
param alertEmail string
@minValue(0)
@maxValue(23)
param changeWindowStartHour int
@minValue(0)
@maxValue(24)
param changeWindowEndHour int
param ddlUsers string[]
@minValue(1)
param authFailureThreshold int
param sensitiveTables string[]
@description('With tiering: add the saved queries that read both tiers (PgAudit_CL and PgAuditBulk_CL).')
param bothTierQueries bool = false

var ddlQuery = replace(replace(replace(loadTextContent('../kql/alert-ddl-outside-window.kql'),
  'let ChangeWindowStartHour = 22;', 'let ChangeWindowStartHour = ${changeWindowStartHour};'),
  'let ChangeWindowEndHour = 4;', 'let ChangeWindowEndHour = ${changeWindowEndHour};'),
  'let DdlUsers = dynamic(["migrations"]);', 'let DdlUsers = dynamic(${string(ddlUsers)});')

// Each rule fires when its query returns any row in the window; `dimensions` split the alert per
// server (and per client for login bursts) so one noisy source does not hide another.
var byServer = { name: 'ServerName', operator: 'Include', values: ['*'] }
var byClient = { name: 'ClientHost', operator: 'Include', values: ['*'] }
var alerts = [
  {
    name: 'role-changes'
    severity: 2
    description: 'Role or privilege change (CREATE/ALTER/DROP ROLE, GRANT, REVOKE).'
    query: loadTextContent('../kql/alert-role-changes.kql')
    dimensions: [byServer]
    deploy: true
  }
  {
    name: 'ddl-outside-window'
    severity: 2
    description: 'DDL outside the change window or by a user not allowed to run DDL.'
    query: ddlQuery
    dimensions: [byServer]
    deploy: true
  }
  {
    name: 'auth-failure-burst'
    severity: 1
    description: 'Burst of failed logins from one client.'
    query: replace(loadTextContent('../kql/alert-auth-failure-burst.kql'), 'let Threshold = 10;', 'let Threshold = ${authFailureThreshold};')
    dimensions: [byServer, byClient]
    deploy: true
  }
  {
    name: 'sensitive-table-reads'
    severity: 3
    description: 'Read of a table marked sensitive.'
    query: replace(loadTextContent('../kql/alert-sensitive-reads.kql'), 'let SensitiveTables = dynamic(["public.accounts"]);', 'let SensitiveTables = dynamic(${string(sensitiveTables)});')
    dimensions: [byServer]
    deploy: !empty(sensitiveTables) // nothing to watch without a list
  }
  {
    name: 'audit-gaps'
    severity: 1
    description: 'Audit records were lost upstream (statement-id gap) or could not be parsed.'
    query: loadTextContent('../kql/alert-gaps.kql')
    dimensions: [byServer]
    deploy: true
  }
]

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('pgaudit', 12)
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [{ name: 'security', emailAddress: alertEmail, useCommonAlertSchema: true }]
  }
}

resource rules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for a in alerts: if (a.deploy) {
    name: '${rulePrefix}${a.name}${ruleSuffix}'
    location: location
    tags: tags
    properties: {
      displayName: 'pgAudit: ${a.name}'
      description: a.description
      severity: a.severity
      enabled: true
      scopes: [workspaceId]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      criteria: {
        allOf: [
          {
            query: a.query
            timeAggregation: 'Count'
            dimensions: a.dimensions
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      actions: { actionGroups: [actionGroup.id] }
    }
  }
]

var savedQueries = [
  { id: guid(queryPackName, 'who-touched-table'), displayName: 'pgAudit: who touched table X', body: loadTextContent('../kql/query-who-touched-table.kql') }
  { id: guid(queryPackName, 'user-activity'), displayName: 'pgAudit: activity of user Y', body: loadTextContent('../kql/query-user-activity.kql') }
  { id: guid(queryPackName, 'failed-statements'), displayName: 'pgAudit: failed statements', body: loadTextContent('../kql/query-failed-statements.kql') }
  { id: guid(queryPackName, 'session-timeline'), displayName: 'pgAudit: session timeline', body: loadTextContent('../kql/query-session-timeline.kql') }
]
// A query on a Basic or Auxiliary table cannot be a workspace function (basic-logs-query.md), so the
// bulk rows are read by saved queries, run with the time picker.
var bothTierSavedQueries = !bothTierQueries ? [] : [
  { id: guid(queryPackName, 'all-rows-both-tiers'), displayName: 'pgAudit: all rows, both tiers (PgAudit_CL + PgAuditBulk_CL)', body: loadTextContent('../kql/query-all-rows.kql') }
  { id: guid(queryPackName, 'completeness-both-tiers'), displayName: 'pgAudit: completeness across both tiers', body: loadTextContent('../kql/query-completeness-tiered.kql') }
]

resource queryPack 'Microsoft.OperationalInsights/queryPacks@2019-09-01' = {
  name: queryPackName
  location: location
  tags: tags
  properties: {}
}

resource queries 'Microsoft.OperationalInsights/queryPacks/queries@2019-09-01' = [
  for q in concat(savedQueries, bothTierSavedQueries): {
    parent: queryPack
    name: q.id
    properties: {
      displayName: q.displayName
      body: q.body
      related: { categories: ['security', 'audit'] }
      tags: { labels: ['pgaudit'] }
    }
  }
]

output actionGroupId string = actionGroup.id
