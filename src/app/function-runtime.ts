// What the Azure Functions do, behind the thin registrations in functions/: settings are read
// and validated once per instance, clients are built once, the health check runs once at start-up,
// and every invocation logs one structured summary (and every error) through the Functions logger,
// which reaches Application Insights. An invocation that had errors fails after logging them.
import type { InvocationContext } from '@azure/functions';
import { shippingClients } from '../config/azure-clients.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { PgAuditError } from '../errors/pgaudit-error.js';
import { prefixWarnings } from '../parse/log-line-prefix.js';
import { discoverServers } from '../ship/discover-servers.js';
import { formatCheck, healthTargetsOf, runHealthChecks } from '../ship/health-check.js';
import { planLookback, planOf, type Plan } from '../ship/plan.js';
import { recordedRun } from '../ship/recorded-run.js';
import { newRunInfo } from '../ship/run-records.js';
import type { Trigger } from '../run-record-schema.js';
import { logRun } from './run-log.js';
import { readServerMessage } from '../ship/server-message.js';
import { createShipContext, shipConfigOf, type ShipClients, type ShipContext } from '../ship/ship-context.js';
import type { RunError, SweepSummary } from '../ship/sweep.js';
import { blobNameOfEvent } from './blob-event.js';

export interface Runtime {
  readonly settings: Settings;
  readonly context: ShipContext;
  lastDiscovery: number;
}

const DISCOVERY_EVERY_MS = 60 * 60_000;
let runtime: Promise<Runtime> | null = null;

/** Builds the runtime from settings and clients (tests pass their own clients). */
export async function createRuntime(settings: Settings, clients: ShipClients, log: (m: string) => void = () => undefined): Promise<Runtime> {
  const context = createShipContext(shipConfigOf(settings), clients, log);
  await context.ensureContainers();
  return { settings, context, lastDiscovery: 0 };
}

/**
 * An instance's start: warnings about the settings, the health check (each result logged; a
 * failed check does not stop the start, the runs then report the same problem), the runtime.
 */
export async function startUp(settings: Settings, clients: ShipClients, ctx: Pick<InvocationContext, 'log' | 'warn' | 'error'>): Promise<Runtime> {
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
    return startUp(settings, shippingClients(settings), ctx);
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

/** Event Grid (Microsoft.Storage.BlobCreated): start tracking the new blob and ship what it holds. */
export async function onBlobCreated(event: unknown, ctx: InvocationContext): Promise<SweepSummary | null> {
  const rt = await runtimeFromEnvironment(ctx);
  const name = blobNameOfEvent(event, rt.settings.logsContainer);
  if (!name.ok) {
    ctx.warn(`blobCreated: ignored an event: ${name.reason}`);
    return null;
  }
  return run(planOf(name.blob), rt, ctx, 'blobCreated');
}

/** Timer: every blob of the lookback that grew (or is new, replaced, or leaves the lookback). */
export async function onSweep(_timer: unknown, ctx: InvocationContext): Promise<SweepSummary> {
  const rt = await runtimeFromEnvironment(ctx);
  const now = rt.context.deps.options.now();
  let extra: string[] = [];
  if (now.getTime() - rt.lastDiscovery > DISCOVERY_EVERY_MS) {
    extra = await discoverServers(rt.context.deps.source);
    rt.lastDiscovery = now.getTime();
  }
  return run(await planLookback(rt.context.deps.source, rt.context.store, now, rt.context.config.lookbackMs, extra), rt, ctx, 'sweep');
}

/** Queue: one server from a message (the implementation lands with the queue planner). */
export async function onShipServer(message: unknown, ctx: InvocationContext): Promise<SweepSummary | null> {
  const rt = await runtimeFromEnvironment(ctx);
  const read = readServerMessage(message);
  if (!read.ok) {
    ctx.error(`shipServer: dropped a message: ${read.reason}`);
    return null;
  }
  const m = read.message;
  if (m.blobs?.length) return run(planOf(...m.blobs), rt, ctx, 'queue');
  const planned = await planLookback(rt.context.deps.source, rt.context.store, rt.context.deps.options.now(), rt.context.config.lookbackMs, [m.serverPath]);
  const only = new Map([...planned.plan].filter(([server]) => server === m.serverPath));
  return run({ ...planned, plan: only }, rt, ctx, 'queue');
}
