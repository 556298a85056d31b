// Second stage (azd postdeploy hook): the Event Grid subscription that sends BlobCreated events
// of the diagnostic-logs container to the blobCreated function's Event Grid trigger. Its webhook
// needs the eventgrid_extension system key, which exists only once the code is deployed.
@description('Name of the logs storage account (output LOGS_STORAGE_ACCOUNT_NAME of main.bicep).')
param logsAccountName string
@description('Region of the logs storage account (a system topic lives in its source\'s region).')
param location string = resourceGroup().location
@description('Name of the system topic on the logs account (output EVENTGRID_SYSTEM_TOPIC_NAME of main.bicep; a storage account can have only one).')
param systemTopicName string
@minLength(3)
@maxLength(63)
@description('Container of the diagnostic blobs: the same value main.bicep writes to PGAUDIT_LOGS_CONTAINER (output PGAUDIT_LOGS_CONTAINER).')
param logsContainer string
@secure()
@description('https://<host>/runtime/webhooks/eventgrid?functionName=blobCreated&code=<eventgrid_extension system key>, composed by scripts/azd/postdeploy.sh.')
param webhookUrl string

resource logs 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: logsAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  location: location
  properties: {
    source: logs.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: topic
  name: 'pgaudit-blob-created'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: webhookUrl
      }
    }
    // Only new hourly blobs of the one container the app reads (appends raise no event).
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      subjectBeginsWith: '/blobServices/default/containers/${logsContainer}/blobs/'
      subjectEndsWith: '.json'
    }
    // The Functions Event Grid extension answers the subscription-validation handshake itself.
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
  }
}
