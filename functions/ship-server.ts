// Queue trigger: one message per server with work (the timer sweep plans, blobCreated names a
// blob); ships that server under its lease. Many instances drain the queue in parallel.
import { app } from '@azure/functions';
import { onShipServer } from '../src/app/function-runtime.js';

app.storageQueue('shipServer', {
  queueName: '%PGAUDIT_QUEUE_NAME%',
  connection: 'PGAUDIT_STATE_STORAGE',
  handler: async (message, context) => {
    await onShipServer(message, context);
  },
});
