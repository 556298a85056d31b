// What the Azure Functions do, behind the thin registrations in functions/: settings are read
// and validated once per instance, clients are built once, the health check runs once at start-up,
// and every invocation logs one structured summary (and every error) through the Functions logger,
// which reaches Application Insights. An invocation that had errors fails after logging them.
// The timer sweep and blobCreated only plan: they put one message per server with work on the
// server queue, and shipServer ships that one server (docs/design.md "Scale-out"), so the queue
// trigger's instances scale out with the fleet. The CLI's `ship` still runs a plan in one process.
import type { InvocationContext } from '@azure/functions';
import type { QueueServiceClient } from '@azure/storage-queue';
import { shippingClients } from '../ship/ship-clients.js';
import { hostQueueSettings, type HostQueueSettings } from '../config/host-queue-settings.js';
import { queueServiceClient } from '../config/queue-client.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { PgAuditError } from '../errors/pgaudit-error.js';
import { runErrorOf } from '../errors/run-error.js';
import { prefixWarnings } from '../parse/log-line-prefix.js';
import { discoverServers } from '../ship/discover-servers.js';
import { formatCheck, healthTargetsOf, runHealthChecks } from '../ship/health-check.js';
import { planLookback, planOf, planServerLookback, type Plan } from '../ship/plan.js';
import { recordedRun } from '../ship/recorded-run.js';
import { newRunInfo } from '../ship/run-records.js';
import type { Trigger } from '../run-record-schema.js';
import { logRun } from './run-log.js';
import { readServerMessage } from '../ship/server-message.js';
import { ServerQueue } from '../ship/server-queue.js';
import { createShipContext, shipConfigOf, type ShipClients, type ShipContext } from '../ship/ship-context.js';
import type { RunError, SweepSummary } from '../ship/sweep.js';
import { blobNameOfEvent } from './blob-event.js';
import { DEFER_SECONDS, deferBusyServer, dequeueCountOf, rejectMessage, reportPoison, serverOfMessage } from './queue-steps.js';

export interface Runtime {
  readonly settings: Settings;
  readonly context: ShipContext;
  /** The server queue (PGAUDIT_QUEUE_NAME on the state account) and its poison queue. */
  readonly queue: ServerQueue;
  /** host.json's queue settings, as the host applies them to shipServer. */
  readonly host: HostQueueSettings;
  /** How long a busy server's message waits before it is tried again (queue-steps.ts). */
  readonly deferSeconds: number;
  lastDiscovery: number;
}

/** The shipping clients and the state account's queue service. */
export type AppClients = ShipClients & { readonly queue: QueueServiceClient };

const DISCOVERY_EVERY_MS = 60 * 60_000;
let runtime: Promise<Runtime> | null = null;

/** Builds the runtime from settings and clients (tests pass their own clients). */
export async function createRuntime(settings: Settings, clients: AppClients, log: (m: string) => void = () => undefined, host: HostQueueSettings = hostQueueSettings()): Promise<Runtime> {
  const context = createShipContext(shipConfigOf(settings), clients, log);
  await context.ensureContainers();
  const queue = ServerQueue.of(clients.queue, settings.queueName, host.messageEncoding);
  await queue.ensure();
  return { settings, context, queue, host, deferSeconds: DEFER_SECONDS, lastDiscovery: 0 };
}

/**
 * An instance's start: warnings about the settings, the health check (each result logged; a
 * failed check does not stop the start, the runs then report the same problem), the runtime.
 */
export async function startUp(settings: Settings, clients: AppClients, ctx: Pick<InvocationContext, 'log' | 'warn' | 'error'>): Promise<Runtime> {
  for (const p of [settings.logLinePrefix, ...Object.values(settings.serverLogLinePrefixes)]) for (const w of prefixWarnings(p)) ctx.warn(`pgaudit-ingest start-up: ${w}`);
  for (const r of await runHealthChecks(healthTargetsOf(settings, clients))) {
    if (r.ok) ctx.log(`pgaudit-ingest start-up check: ${formatCheck(r)}`);
    else ctx.error(`pgaudit-ingest start-up check: ${formatCheck(r)}`);
  }
  return createRuntime(settings, clients);
}

function runtimeFromEnvironment(ctx: InvocationContext): Promise<Runtime> {
  runtime ??= (async () => {
    const settings = loadSettings();
    return startUp(settings, { ...shippingClients(settings), queue: queueServiceClient(settings.stateStorage, settings.clientId) }, ctx);
  })().catch((err: unknown) => {
    runtime = null; // let the next invocation retry (and log the settings problem again)
    throw err;
  });
  return runtime;
}

/** Test hook: use this runtime instead of one built from process.env. */
export function useRuntime(r: Runtime | null): void {
  runtime = r ? Promise.resolve(r) : null;
}

/** One run ended with errors (each was logged); failing the invocation makes it visible. */
export class RunFailedError extends PgAuditError {
  override readonly name = 'RunFailedError';
  readonly exitCode = 1;

  constructor(readonly errors: readonly RunError[]) {
    super(`${errors.length} server(s) or the run stopped: ${errors.map((e) => `${e.server ?? 'run'}: ${e.code}`).join('; ')}`, { hint: 'each error was logged with its fix' });
  }
}

async function run(plan: Plan, rt: Runtime, ctx: InvocationContext, trigger: Trigger): Promise<SweepSummary> {
  const deps = { ...rt.context.deps, log: (m: string) => ctx.log(m) };
  const { summary, delivery } = await recordedRun(rt.context, plan, newRunInfo(trigger), deps);
  logRun(summary, delivery, trigger, ctx);
  if (summary.errors.length > 0) throw new RunFailedError(summary.errors);
  return summary;
}

/** Logs a failure of `step` with its fix (as every run error is logged), then rethrows it. */
async function logged<T>(ctx: InvocationContext, trigger: Trigger, step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (err) {
    ctx.error(JSON.stringify({ event: 'pgaudit-ingest.error', trigger, ...runErrorOf(null, err) }));
    throw err;
  }
}

/** Event Grid (Microsoft.Storage.BlobCreated): hand the new blob's server to the queue, naming the blob. */
export async function onBlobCreated(event: unknown, ctx: InvocationContext): Promise<{ serverPath: string; blob: string } | null> {
  const rt = await runtimeFromEnvironment(ctx);
  const name = blobNameOfEvent(event, rt.settings.logsContainer);
  if (!name.ok) {
    ctx.warn(`blobCreated: ignored an event: ${name.reason}`);
    return null;
  }
  const serverPath = serverOfMessage(name.blob);
  // A failed send fails the invocation: Event Grid delivers the event again (its retry policy).
  await logged(ctx, 'blobCreated', rt.queue.send({ serverPath, blobs: [name.blob], reason: 'blobCreated' }));
  ctx.log(JSON.stringify({ event: 'pgaudit-ingest.enqueued', trigger: 'blobCreated', servers: 1, blob: name.blob }));
  return { serverPath, blob: name.blob };
}

/**
 * Timer: the planner. Lists every known server's lookback (new servers are discovered hourly),
 * puts one message per server with work on the queue (none for idle servers), and writes the
 * sweep's heartbeat (with what planning saw) and its planning problems as run records.
 */
export async function onSweep(_timer: unknown, ctx: InvocationContext): Promise<{ enqueued: string[]; summary: SweepSummary }> {
  const rt = await runtimeFromEnvironment(ctx);
  const now = rt.context.deps.options.now();
  let extra: string[] = [];
  if (now.getTime() - rt.lastDiscovery > DISCOVERY_EVERY_MS) {
    extra = await discoverServers(rt.context.deps.source);
    rt.lastDiscovery = now.getTime();
  }
  const planned = await planLookback(rt.context.deps.source, rt.context.store, now, rt.context.config.lookbackMs, extra);
  // A failed send fails the sweep before its heartbeat: the pipeline-silent alert sees it.
  const enqueued = await logged(ctx, 'sweep', rt.queue.sendAll([...planned.plan.keys()].map((serverPath) => ({ serverPath, reason: 'sweep' as const }))));
  ctx.log(JSON.stringify({ event: 'pgaudit-ingest.enqueued', trigger: 'sweep', servers: enqueued.length, serversSeen: planned.stats.serversSeen, blobsChecked: planned.stats.blobsChecked, bytesBehind: planned.stats.bytesBehind }));
  // Nothing is shipped here: the run is empty, its heartbeat carries the planning numbers.
  const summary = await run({ plan: new Map(), stats: planned.stats, problems: planned.problems }, rt, ctx, 'sweep');
  return { enqueued, summary };
}

/**
 * Queue: ships the one server a message names, under its lease: the blobs it names (blobCreated),
 * or that server's own lookback plan. A server whose lease another worker holds is put back with
 * a delay (queue-steps.ts says why); the last failed attempt is reported as a poison message.
 */
export async function onShipServer(message: unknown, ctx: InvocationContext): Promise<SweepSummary | null> {
  const rt = await runtimeFromEnvironment(ctx);
  const read = readServerMessage(message);
  // A message that can never be shipped is completed (retries would only end in the poison queue).
  if (!read.ok) {
    await rejectMessage(rt, null, read.reason, ctx);
    return null;
  }
  const m = read.message;
  const foreign = (m.blobs ?? []).filter((b) => serverOfMessage(b) !== m.serverPath);
  if (foreign.length > 0) {
    await rejectMessage(rt, m.serverPath, `the message for ${m.serverPath} names blobs of another server: ${foreign.join(', ')}`, ctx);
    return null;
  }
  try {
    const plan = m.blobs?.length ? planOf(...m.blobs) : await planServerLookback(rt.context.deps.source, rt.context.store, m.serverPath, rt.context.deps.options.now(), rt.context.config.lookbackMs);
    const summary = await run(plan, rt, ctx, 'queue');
    if (summary.busyServers.includes(m.serverPath)) await deferBusyServer(rt.queue, m, ctx, rt.deferSeconds);
    return summary;
  } catch (err) {
    const attempt = dequeueCountOf(ctx);
    if (attempt !== null && attempt >= rt.host.maxDequeueCount) await reportPoison(rt, m, attempt, err, ctx);
    throw err;
  }
}
