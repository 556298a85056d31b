// Event Grid blob trigger: Azure Monitor created a new hourly PT1H.json. (Appends raise no event;
// the timer sweep in sweep.ts reads the rest as the blob grows.)
import { app } from '@azure/functions';
import { onBlobCreated } from '../src/app/function-runtime.js';

app.storageBlob('blobCreated', {
  path: 'insights-logs-postgresqllogs/{name}',
  connection: 'PGAUDIT_LOGS_STORAGE',
  source: 'EventGrid',
  handler: async (blob, context) => {
    await onBlobCreated(blob, context);
  },
});
