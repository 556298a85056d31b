// Storage: the function's own account (host, deployment package, checkpoints, dead letters;
// shared-key access disabled: identities only) and the diagnostic-logs account (existing or new).
param location string
param baseName string
@description('Name of an existing storage account (same resource group) receiving the server diagnostic logs; empty creates one.')
param existingLogsStorageAccountName string

var hostName = take('st${replace(baseName, '-', '')}${uniqueString(resourceGroup().id)}', 24)
var logsName = empty(existingLogsStorageAccountName) ? take('stlogs${uniqueString(resourceGroup().id, baseName)}', 24) : existingLogsStorageAccountName

resource host 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: hostName
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource hostBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: host
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for name in ['deployment-package', 'pgaudit-state', 'pgaudit-deadletter']: {
    parent: hostBlobs
    name: name
  }
]

resource newLogs 'Microsoft.Storage/storageAccounts@2023-05-01' = if (empty(existingLogsStorageAccountName)) {
  name: logsName
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource logs 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: logsName
  dependsOn: [newLogs]
}

output hostAccountName string = host.name
output hostBlobEndpoint string = host.properties.primaryEndpoints.blob
output hostQueueEndpoint string = host.properties.primaryEndpoints.queue
output hostTableEndpoint string = host.properties.primaryEndpoints.table
output deploymentContainer string = containers[0].name
output logsAccountName string = logs.name
output logsAccountId string = logs.id
output logsBlobEndpoint string = logs.properties.primaryEndpoints.blob
output logsQueueEndpoint string = logs.properties.primaryEndpoints.queue
