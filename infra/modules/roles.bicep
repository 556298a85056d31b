// Least-privilege role assignments for the function's user-assigned identity: each one scoped to a
// single resource, never to the resource group. Names are guid(scope, principal, role), so a
// redeployment finds the same assignment instead of failing with RoleAssignmentExists.
param principalId string
param dcrName string
param appInsightsName string
param hostAccountName string
param logsAccountName string

// Built-in role definition ids (the same GUIDs in every tenant).
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0a3f5'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'

resource dcr 'Microsoft.Insights/dataCollectionRules@2023-03-11' existing = {
  name: dcrName
}
resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}
resource hostAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostAccountName
}
resource logsAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: logsAccountName
}

// Upload rows through the Logs Ingestion API to this DCR only (not to any other DCR or table).
resource publishToDcr 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: dcr
  name: guid(dcr.id, principalId, monitoringMetricsPublisher)
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher) }
}

// Application Insights has local (instrumentation-key) auth disabled, so the host's telemetry is
// accepted only from an identity holding Monitoring Metrics Publisher on the component itself.
resource publishTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: appInsights
  name: guid(appInsights.id, principalId, monitoringMetricsPublisher)
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher) }
}

// The function's own account: the Functions host (AzureWebJobsStorage: locks, timer schedule
// monitor in blobs and tables, queues) and the deployment package; our checkpoints, leases and
// dead letters (PGAUDIT_STATE_STORAGE). Blob Data Owner is what the Functions documentation lists
// for AzureWebJobsStorage and for Flex Consumption deployment storage with a managed identity.
resource hostRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [storageBlobDataOwner, storageQueueDataContributor, storageTableDataContributor]: {
    scope: hostAccount
    name: guid(hostAccount.id, principalId, role)
    properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role) }
  }
]

// The diagnostic-logs account: the pipeline itself only reads blobs (Blob Data Reader would do),
// but the Event Grid blob trigger's extension is documented to need Blob Data Owner and Queue Data
// Contributor on its connection (it writes poison messages to a queue there); narrowing it would
// break the trigger in ways that only show up on failures. No key access is granted anywhere.
resource logsRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [storageBlobDataOwner, storageQueueDataContributor]: {
    scope: logsAccount
    name: guid(logsAccount.id, principalId, role)
    properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role) }
  }
]
