// Least-privilege role assignments for the function's identity, each scoped to one resource.
param principalId string
param dcrName string
param hostAccountName string
param logsAccountName string

// Built-in role definition ids (stable GUIDs across tenants).
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0a3f5'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'

resource dcr 'Microsoft.Insights/dataCollectionRules@2023-03-11' existing = {
  name: dcrName
}
resource hostAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostAccountName
}
resource logsAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: logsAccountName
}

// Upload to this DCR only (Logs Ingestion API).
resource publishToDcr 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: dcr
  name: guid(dcr.id, principalId, monitoringMetricsPublisher)
  properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher) }
}

// The function's own account: host locks and deployment package, checkpoints, leases, dead letters.
resource hostRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [storageBlobDataOwner, storageQueueDataContributor, storageTableDataContributor]: {
    scope: hostAccount
    name: guid(hostAccount.id, principalId, role)
    properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role) }
  }
]

// The diagnostic-logs account: the pipeline only reads blobs, but the Event Grid blob trigger's
// extension also needs Blob Data Owner (blob receipts) and Queue Data Contributor (poison queue)
// on its connection. Nothing here grants key access: shared keys stay unused.
resource logsRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [storageBlobDataOwner, storageQueueDataContributor]: {
    scope: logsAccount
    name: guid(logsAccount.id, principalId, role)
    properties: { principalId: principalId, principalType: 'ServicePrincipal', roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role) }
  }
]
