// With tiering: the saved queries that read both tiers (PgAudit_CL and PgAuditBulk_CL) in the query
// pack of alerts.bicep. A query on a Basic or Auxiliary table may union or look up Analytics tables
// but cannot be a workspace function (basic-logs-query.md), so these are saved queries, run with the
// time picker; PgAudit() and PgAuditCompleteness() stay on the Analytics tables.
param queryPackName string

resource queryPack 'Microsoft.OperationalInsights/queryPacks@2019-09-01' existing = {
  name: queryPackName
}

var savedQueries = [
  { id: guid(queryPackName, 'all-rows-both-tiers'), displayName: 'pgAudit: all rows, both tiers (PgAudit_CL + PgAuditBulk_CL)', body: loadTextContent('../kql/query-all-rows.kql') }
  { id: guid(queryPackName, 'completeness-both-tiers'), displayName: 'pgAudit: completeness across both tiers', body: loadTextContent('../kql/query-completeness-tiered.kql') }
]

resource queries 'Microsoft.OperationalInsights/queryPacks/queries@2019-09-01' = [
  for q in savedQueries: {
    parent: queryPack
    name: q.id
    properties: {
      displayName: q.displayName
      body: q.body
      related: { categories: ['security', 'audit'] }
      tags: { labels: ['pgaudit', 'tiering'] }
    }
  }
]
