// Storage: the function's own account (Functions host, deployment package, checkpoints, leases,
// dead letters, the server queue; shared-key access disabled: identities only) and the
// diagnostic-logs account (existing or new), which the function may only read.
param location string
param tags object
@description('Name of the function\'s own account (host and state).')
param stateAccountName string
@description('Name of the logs account: an existing one in this resource group, or the one to create.')
param logsAccountName string
@description('Create the logs account (false: it exists and already receives the servers\' diagnostic logs).')
param createLogsAccount bool

// The container names are the app's defaults (src/config/settings-model.ts via the generated JSON),
// so the containers created here are the ones the app opens.
var settingsModel = loadJsonContent('../generated/settings.json').settings
var deploymentContainer = 'deployment-package'
var keyless = {
  allowSharedKeyAccess: false
  allowBlobPublicAccess: false
  minimumTlsVersion: 'TLS1_2'
  supportsHttpsTrafficOnly: true
}

resource state 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: stateAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: keyless
}

resource stateBlobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: state
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for name in [deploymentContainer, settingsModel.stateContainer.default, settingsModel.deadLetterContainer.default]: {
    parent: stateBlobs
    name: name
  }
]

// The queue the timer sweep and blobCreated put one message per server on, and its poison queue:
// the host moves a message there after maxDequeueCount failed runs (host.json). The host would
// create the poison queue on first use; creating it here makes it visible (and countable) from
// the first deployment. Names are the app's default (PGAUDIT_QUEUE_NAME).
resource stateQueues 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: state
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for name in [settingsModel.queueName.default, '${settingsModel.queueName.default}-poison']: {
    parent: stateQueues
    name: name
  }
]

resource newLogs 'Microsoft.Storage/storageAccounts@2023-05-01' = if (createLogsAccount) {
  name: logsAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: keyless
}

resource logs 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: logsAccountName
  dependsOn: [newLogs]
}

output stateAccountName string = state.name
output stateBlobEndpoint string = state.properties.primaryEndpoints.blob
output deploymentContainer string = containers[0].name
output stateQueueEndpoint string = state.properties.primaryEndpoints.queue
output logsAccountName string = logs.name
output logsAccountId string = logs.id
output logsBlobEndpoint string = logs.properties.primaryEndpoints.blob
