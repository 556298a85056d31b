// Second stage (azd postdeploy hook): the Event Grid subscription that sends BlobCreated events
// of the diagnostic-logs container to the function's blob-trigger webhook. It needs the
// blobs_extension system key, which exists only once the code is deployed.
param logsAccountName string
@description('Region of the logs storage account (a system topic lives in its source\'s region).')
param location string = resourceGroup().location
@description('A storage account can have only one system topic: pass the existing one\'s name if it already has one.')
param systemTopicName string = 'evgt-${logsAccountName}'
@secure()
@description('https://<host>/runtime/webhooks/blobs?functionName=Host.Functions.blobCreated&code=<blobs_extension system key>, composed by scripts/azd/postdeploy.sh.')
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
    filter: {
      includedEventTypes: ['Microsoft.Storage.BlobCreated']
      subjectBeginsWith: '/blobServices/default/containers/insights-logs-postgresqllogs/'
      subjectEndsWith: '.json'
    }
    // The function's blob extension answers the subscription-validation handshake itself.
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }
  }
}
