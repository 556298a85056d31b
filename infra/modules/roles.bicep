// Least-privilege role assignments for the function's user-assigned identity: each one scoped to a
// single resource, never to the resource group. Names are guid(scope, principal, role), so a
// redeployment finds the same assignment instead of failing with RoleAssignmentExists.
// docs/deploy.md explains every role with its source; test/infra/roles.test.ts pins the set.
param principalId string
param dcrName string
param appInsightsName string
param stateAccountName string
param logsAccountName string
@description('Names of the further DCR shards (monitoring.bicep): the identity uploads to each.')
param shardDcrNames array = []

// Built-in role definition ids (the same GUIDs in every tenant), by role name, from the sourced
// data file: each id there was read from Microsoft's built-in roles reference. None is typed here.
var builtInRoles = loadJsonContent('../built-in-roles.json').roles

// One row per storage role (docs/deploy.md says why each, with its source).
var storageGrants = [
  // The function's own account. Storage Blob Data Owner is what the Functions documentation lists
  // for an identity-based AzureWebJobsStorage of a timer + Event Grid app (host locks, timer
  // status, keys); it covers the Flex deployment container (which needs Blob Data Contributor) and
  // our checkpoints, leases and dead letters.
  { account: stateAccountName, role: 'Storage Blob Data Owner' }
  // The server queue on the same account: the shipServer trigger reads, deletes and releases
  // messages (Reader + Message Processor), the host moves failed ones to <queue>-poison and the
  // sweep and blobCreated enqueue (Message Sender), and a busy server's message is put back with
  // a delay. One role covers all of it; no table role: nothing uses tables.
  { account: stateAccountName, role: 'Storage Queue Data Contributor' }
  // The audit evidence: read and list only. The identity cannot write, overwrite, delete or lease
  // a diagnostic blob; the Event Grid trigger delivers blob names without any storage access.
  { account: logsAccountName, role: 'Storage Blob Data Reader' }
]

func grant(principalId string, roleId string) object => {
  principalId: principalId
  principalType: 'ServicePrincipal'
  roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
}

resource dcr 'Microsoft.Insights/dataCollectionRules@2023-03-11' existing = {
  name: dcrName
}
resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}
resource accounts 'Microsoft.Storage/storageAccounts@2023-05-01' existing = [
  for g in storageGrants: {
    name: g.account
  }
]

// Upload rows through the Logs Ingestion API to this DCR only (not to any other DCR or table).
resource publishToDcr 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: dcr
  name: guid(dcr.id, principalId, builtInRoles['Monitoring Metrics Publisher'].id)
  properties: grant(principalId, builtInRoles['Monitoring Metrics Publisher'].id)
}

// The same role on each further DCR shard, scoped to that DCR only.
resource shardDcrs 'Microsoft.Insights/dataCollectionRules@2023-03-11' existing = [
  for name in shardDcrNames: {
    name: name
  }
]
resource publishToShards 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (name, i) in shardDcrNames: {
    scope: shardDcrs[i]
    name: guid(shardDcrs[i].id, principalId, builtInRoles['Monitoring Metrics Publisher'].id)
    properties: grant(principalId, builtInRoles['Monitoring Metrics Publisher'].id)
  }
]

// Application Insights has local (instrumentation-key) auth disabled, so the host's telemetry is
// accepted only from an identity holding Monitoring Metrics Publisher on the component itself.
resource publishTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: appInsights
  name: guid(appInsights.id, principalId, builtInRoles['Monitoring Metrics Publisher'].id)
  properties: grant(principalId, builtInRoles['Monitoring Metrics Publisher'].id)
}

resource storageAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (g, i) in storageGrants: {
    scope: accounts[i]
    name: guid(accounts[i].id, principalId, builtInRoles[g.role].id)
    properties: grant(principalId, builtInRoles[g.role].id)
  }
]
