#!/usr/bin/env bash
# azd postdeploy hook: once the code is deployed the function's `blobs_extension` system key
# exists, so the Event Grid subscription for new diagnostic blobs can be created (infra/eventgrid.bicep).
set -euo pipefail
: "${AZURE_RESOURCE_GROUP:?}" "${AZURE_FUNCTION_APP_NAME:?}" "${FUNCTION_HOST_NAME:?}" "${LOGS_STORAGE_ACCOUNT_NAME:?}"
key=""
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  key="$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query "systemKeys.blobs_extension" -o tsv 2>/dev/null || true)"
  [ -n "$key" ] && break
  echo "postdeploy: waiting for the blobs_extension key (attempt $attempt)"; sleep 15
done
[ -n "$key" ] || { echo "postdeploy: the function app has no blobs_extension system key yet; re-run: azd hooks run postdeploy" >&2; exit 1; }
az deployment group create -g "$AZURE_RESOURCE_GROUP" --name pgaudit-eventgrid \
  --template-file "$(dirname "$0")/../../infra/eventgrid.bicep" \
  --parameters logsAccountName="$LOGS_STORAGE_ACCOUNT_NAME" \
  --parameters webhookUrl="https://${FUNCTION_HOST_NAME}/runtime/webhooks/blobs?functionName=Host.Functions.blobCreated&code=${key}" \
  --output none
echo "postdeploy: Event Grid subscription for insights-logs-postgresqllogs created"
