// Event Grid trigger on Microsoft.Storage.BlobCreated of the diagnostic-logs container: Azure
// Monitor created a new hourly PT1H.json. (Appends raise no event; the timer sweep reads the rest
// as the blob grows.) An Event Grid trigger, not a blob trigger: it needs no role on the logs
// account, whose evidence the app may only read (docs/deploy.md), and downloads nothing.
import { app } from '@azure/functions';
import { onBlobCreated } from '../src/app/function-runtime.js';

app.eventGrid('blobCreated', {
  handler: async (event, context) => {
    await onBlobCreated(event, context);
  },
});
