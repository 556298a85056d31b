// The Function App on Flex Consumption (Node 22), running as a user-assigned managed identity
// with identity-based connections only: no keys or connection strings in its settings.
param location string
param baseName string
param identityId string
param identityClientId string
param hostBlobEndpoint string
param hostQueueEndpoint string
param hostTableEndpoint string
param deploymentContainer string
param logsBlobEndpoint string
param logsQueueEndpoint string
param appInsightsConnectionString string
param ingestionEndpoint string
param dcrImmutableId string
param logLinePrefix string
param serverLogLinePrefixes object
param sweepSchedule string
param maximumInstanceCount int

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${baseName}'
  location: location
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: 'func-${baseName}'
  location: location
  kind: 'functionapp,linux'
  tags: { 'azd-service-name': 'ingest' }
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
          value: '${hostBlobEndpoint}${deploymentContainer}'
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
      appSettings: [
        { name: 'AzureWebJobsStorage__blobServiceUri', value: hostBlobEndpoint }
        { name: 'AzureWebJobsStorage__queueServiceUri', value: hostQueueEndpoint }
        { name: 'AzureWebJobsStorage__tableServiceUri', value: hostTableEndpoint }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'PGAUDIT_LOGS_STORAGE__blobServiceUri', value: logsBlobEndpoint }
        { name: 'PGAUDIT_LOGS_STORAGE__queueServiceUri', value: logsQueueEndpoint }
        { name: 'PGAUDIT_LOGS_STORAGE__credential', value: 'managedidentity' }
        { name: 'PGAUDIT_LOGS_STORAGE__clientId', value: identityClientId }
        { name: 'PGAUDIT_STATE_STORAGE__blobServiceUri', value: hostBlobEndpoint }
        { name: 'PGAUDIT_STATE_STORAGE__credential', value: 'managedidentity' }
        { name: 'PGAUDIT_STATE_STORAGE__clientId', value: identityClientId }
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
        { name: 'PGAUDIT_INGESTION_ENDPOINT', value: ingestionEndpoint }
        { name: 'PGAUDIT_DCR_IMMUTABLE_ID', value: dcrImmutableId }
        { name: 'PGAUDIT_STREAM_NAME', value: loadJsonContent('../generated/pgaudit-columns.json', '$.streamName') }
        { name: 'PGAUDIT_LOG_LINE_PREFIX', value: logLinePrefix }
        { name: 'PGAUDIT_SERVER_LOG_LINE_PREFIXES', value: string(serverLogLinePrefixes) }
        { name: 'PGAUDIT_SWEEP_SCHEDULE', value: sweepSchedule }
        // Bounded live memory; cap the heap so V8 collects early instead of growing lazily.
        { name: 'languageWorkers__node__arguments', value: '--max-old-space-size=512' }
      ]
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
