#!/usr/bin/env bash
# azd postdeploy hook (second stage). Once the code is deployed the function app has its
# `eventgrid_extension` system key, so the Event Grid subscription that sends BlobCreated events of
# the logs container to the blobCreated function's Event Grid trigger can be created
# (infra/eventgrid.bicep). azd exports the provisioning outputs of infra/main.bicep as variables.
# Re-run alone with: azd hooks run postdeploy
set -euo pipefail
: "${AZURE_RESOURCE_GROUP:?set by azd (output of infra/main.bicep)}"
: "${AZURE_FUNCTION_APP_NAME:?set by azd (output of infra/main.bicep)}"
: "${FUNCTION_HOST_NAME:?set by azd (output of infra/main.bicep)}"
: "${LOGS_STORAGE_ACCOUNT_NAME:?set by azd (output of infra/main.bicep)}"
: "${PGAUDIT_LOGS_CONTAINER:?set by azd (output of infra/main.bicep)}"
: "${EVENTGRID_SYSTEM_TOPIC_NAME:?set by azd (output of infra/main.bicep)}"
here="$(cd "$(dirname "$0")" && pwd)"
# The Event Grid trigger registered by functions/blob-created.ts; its webhook is
# /runtime/webhooks/eventgrid?functionName=<name>&code=<eventgrid_extension system key>.
function_name="blobCreated"

# The key appears a little after the deployment finishes (the host has to start once).
key=""
for attempt in $(seq 1 20); do
  key="$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
    --query "systemKeys.eventgrid_extension" -o tsv 2>/dev/null || true)"
  [ -n "$key" ] && break
  echo "postdeploy: waiting for the eventgrid_extension system key (attempt $attempt/20)"
  sleep 15
done
if [ -z "$key" ]; then
  echo "postdeploy: $AZURE_FUNCTION_APP_NAME has no eventgrid_extension system key yet; check that the" >&2
  echo "postdeploy: deployment succeeded and the host started, then run: azd hooks run postdeploy" >&2
  exit 1
fi

# The webhook URL carries the key: pass it in a private parameters file, not on the command line
# (visible to other processes), and delete the file afterwards.
params="$(mktemp)"
trap 'rm -f "$params"' EXIT
chmod 600 "$params"
url="https://${FUNCTION_HOST_NAME}/runtime/webhooks/eventgrid?functionName=${function_name}&code=${key}"
location="$(az storage account show -g "$AZURE_RESOURCE_GROUP" -n "$LOGS_STORAGE_ACCOUNT_NAME" --query location -o tsv)"
# Function keys, host, account, topic and container names hold no characters that need JSON escaping.
printf '{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#","contentVersion":"1.0.0.0","parameters":{"logsAccountName":{"value":"%s"},"location":{"value":"%s"},"systemTopicName":{"value":"%s"},"logsContainer":{"value":"%s"},"webhookUrl":{"value":"%s"}}}' \
  "$LOGS_STORAGE_ACCOUNT_NAME" "$location" "$EVENTGRID_SYSTEM_TOPIC_NAME" "$PGAUDIT_LOGS_CONTAINER" "$url" >"$params"

az deployment group create -g "$AZURE_RESOURCE_GROUP" --name pgaudit-eventgrid \
  --template-file "$here/../../infra/eventgrid.bicep" \
  --parameters "@$params" \
  --output none
echo "postdeploy: BlobCreated of $PGAUDIT_LOGS_CONTAINER on $LOGS_STORAGE_ACCOUNT_NAME (topic $EVENTGRID_SYSTEM_TOPIC_NAME) goes to $function_name"
