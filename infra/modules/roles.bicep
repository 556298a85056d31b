// Least-privilege role assignments for the function's user-assigned identity: each one scoped to a
// single resource, never to the resource group. Names are guid(scope, principal, role), so a
// redeployment finds the same assignment instead of failing with RoleAssignmentExists.
// docs/deploy.md explains every role with its source; test/infra/roles.test.ts pins the set.
param principalId string
param dcrName string
param appInsightsName string
param stateAccountName string
param logsAccountName string

// Built-in role definition ids (the same GUIDs in every tenant).
var roleIds = {
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb'
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0a3f5'
}

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
  name: guid(dcr.id, principalId, roleIds['Monitoring Metrics Publisher'])
  properties: grant(principalId, roleIds['Monitoring Metrics Publisher'])
}

// Application Insights has local (instrumentation-key) auth disabled, so the host's telemetry is
// accepted only from an identity holding Monitoring Metrics Publisher on the component itself.
resource publishTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: appInsights
  name: guid(appInsights.id, principalId, roleIds['Monitoring Metrics Publisher'])
  properties: grant(principalId, roleIds['Monitoring Metrics Publisher'])
}

resource storageAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (g, i) in storageGrants: {
    scope: accounts[i]
    name: guid(accounts[i].id, principalId, roleIds[g.role])
    properties: grant(principalId, roleIds[g.role])
  }
]
