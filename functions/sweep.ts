// Timer sweep: ships every blob that can still grow from its checkpoint.
import { app } from '@azure/functions';
import { onSweep } from '../src/app/function-runtime.js';

app.timer('sweep', {
  schedule: '%PGAUDIT_SWEEP_SCHEDULE%',
  runOnStartup: false,
  useMonitor: true,
  handler: async (timer, context) => {
    await onSweep(timer, context);
  },
});
