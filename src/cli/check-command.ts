// `check`: can this identity do what a run needs? One line per check, the fix under each failure.
// The server queue is checked when the state connection names a queue service (the Functions app
// needs it; the CLI's own runs do not).
import type { QueueServiceClient } from '@azure/storage-queue';
import { shippingClients } from '../ship/ship-clients.js';
import { queueServiceClient } from '../config/queue-client.js';
import { PgAuditError } from '../errors/pgaudit-error.js';
import { formatCheck, healthTargetsOf, runHealthChecks } from '../ship/health-check.js';
import type { CliIo } from './parse-command.js';
import { shippingSettings } from './ship-context-from-cli.js';

export async function runCheck(opts: Readonly<Record<string, unknown>>, io: CliIo): Promise<number> {
  const settings = await shippingSettings(opts);
  let queue: QueueServiceClient | undefined;
  try {
    queue = queueServiceClient(settings.stateStorage, settings.clientId, { retryOptions: { maxTries: 1, tryTimeoutInMs: 10_000 } });
  } catch (err) {
    if (!(err instanceof PgAuditError)) throw err;
    io.stderr.write(`pgaudit-ingest: queue ${settings.queueName} not checked (only the Functions app uses it): ${err.describe()}\n`);
  }
  const results = await runHealthChecks(healthTargetsOf(settings, { ...shippingClients(settings), ...(queue ? { queue } : {}) }));
  for (const r of results) io.stdout.write(formatCheck(r) + '\n');
  const failed = results.filter((r) => !r.ok).length;
  io.stderr.write(`pgaudit-ingest: ${results.length - failed} of ${results.length} check(s) passed${failed ? `; fix the ${failed} failed one(s) above` : ''}\n`);
  return failed > 0 ? 1 : 0;
}
