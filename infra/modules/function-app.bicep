// The Function App on Flex Consumption (Node 22), running as a user-assigned managed identity
// with identity-based connections only: no keys or connection strings in its settings.
param location string
param tags object
param planName string
param functionAppName string
param identityId string
param identityClientId string
@description('Blob endpoint of the function\'s own account: AzureWebJobsStorage, deployment package, PGAUDIT_STATE_STORAGE.')
param stateBlobEndpoint string
@description('Queue endpoint of the same account: the shipServer queue trigger and the app\'s enqueuing use PGAUDIT_STATE_STORAGE__queueServiceUri.')
param stateQueueEndpoint string
param deploymentContainer string
param logsBlobEndpoint string
param appInsightsConnectionString string
@description('Values by key of infra/generated/settings.json; a key without a value gets the default from that file.')
param settingValues object
param maximumInstanceCount int

// Every app setting of the app's settings model, named and defaulted by the generated JSON
// (npm run schema:gen): a setting added to src/config/settings-model.ts arrives here by itself.
var settingsModel = loadJsonContent('../generated/settings.json').settings
var connections = loadJsonContent('../generated/settings.json').connections
// The two DCR streams (from the generated column JSONs) and the identity are this module's to set.
var values = union(settingValues, {
  streamName: loadJsonContent('../generated/pgaudit-columns.json').streamName
  runStreamName: loadJsonContent('../generated/pgaudit-ingest-columns.json').streamName
  clientId: identityClientId
})
var modelSettings = [
  for s in items(settingsModel): {
    name: s.value.env
    value: values[?s.key] ?? s.value.?default ?? fail('Setting ${s.key} (${s.value.env}) has no default and the deployment gives it no value.')
  }
]

// An identity-based storage connection as the Functions runtime and the app read it: one
// `<prefix>__<service>ServiceUri` per service the connection is used for, the credential and the
// client id. Host storage and the logs account need blobs only; the state connection also serves
// the shipServer queue trigger, which reads `__queueServiceUri` (an account-wide `__serviceUri`
// would be taken as the blob endpoint alone).
func connection(prefix string, serviceUris object, clientId string) array => concat(
  map(items(serviceUris), u => { name: '${prefix}__${u.key}ServiceUri', value: u.value }),
  [
    { name: '${prefix}__credential', value: 'managedidentity' }
    { name: '${prefix}__clientId', value: clientId }
  ]
)

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'ingest' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${stateBlobEndpoint}${deploymentContainer}'
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: maximumInstanceCount, instanceMemoryMB: 2048 }
      runtime: { name: 'node', version: '22' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      // Flex Consumption takes the runtime from functionAppConfig: FUNCTIONS_WORKER_RUNTIME and
      // FUNCTIONS_EXTENSION_VERSION must not be set. Every connection is identity-based.
      appSettings: concat(
        connection('AzureWebJobsStorage', { blob: stateBlobEndpoint }, identityClientId),
        connection(connections.logsStorage.env, { blob: logsBlobEndpoint }, identityClientId),
        connection(connections.stateStorage.env, { blob: stateBlobEndpoint, queue: stateQueueEndpoint }, identityClientId),
        [
          { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
          { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
          // Bounded live memory; cap the heap so V8 collects early instead of growing lazily.
          { name: 'languageWorkers__node__arguments', value: '--max-old-space-size=512' }
        ],
        modelSettings
      )
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
