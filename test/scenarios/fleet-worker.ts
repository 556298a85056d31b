// One worker process of the fleet scenario (fleet.test.ts): a Functions instance's part, played
// with the app's own code. It builds the runtime from app settings in its environment exactly as
// the app does (real credential, real clients, host.json), says "ready", waits for "go" on stdin,
// then drains the server queue through the test's stand-in for the host's queue listener
// (test/support/queue-host.ts) calling the real shipServer handler, and prints its result.
import { createInterface } from 'node:readline';
import functions from '@azure/functions';
// The package is CommonJS that Node's ESM loader cannot list named exports of (a worker runs here).
const { InvocationContext } = functions;
import { createRuntime, onShipServer, useRuntime } from '../../src/app/function-runtime.js';
import { shippingClients } from '../../src/ship/ship-clients.js';
import { hostQueueSettings } from '../../src/config/host-queue-settings.js';
import { queueServiceClient } from '../../src/config/queue-client.js';
import { loadSettings } from '../../src/config/settings.js';
import { drainQueue } from '../support/queue-host.js';

const settings = loadSettings();
const rt = await createRuntime(settings, { ...shippingClients(settings), queue: queueServiceClient(settings.stateStorage, settings.clientId) });
useRuntime(rt);
// Warm the credential and the connections before timing starts (an instance is warm too).
await onShipServer({ version: 1, serverPath: 'resourceId=/WARMUP/', reason: 'sweep', enqueuedAt: new Date().toISOString() }, new InvocationContext({ functionName: 'warmup', logHandler: () => undefined }));
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line.trim() === 'go') break;
const started = performance.now();
const cpu = process.cpuUsage();
const result = await drainQueue(rt.queue.queue, rt.queue.poison, onShipServer, { host: hostQueueSettings(), untilEmpty: true, timeoutMs: Number(process.env.FLEET_TIMEOUT_MS ?? 120_000) });
const ms = Math.round(performance.now() - started);
const used = process.cpuUsage(cpu);
const cpuMs = Math.round((used.user + used.system) / 1000);
process.stdout.write(`${JSON.stringify({ handled: result.handled, failed: result.failed, poisoned: result.poisoned, ms, cpuMs, errors: result.logs.filter((l) => l.startsWith('error') || l.startsWith('host error')).slice(0, 5) })}\n`);
process.exit(0);
