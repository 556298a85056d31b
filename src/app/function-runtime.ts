// What the Azure Functions do, behind the thin registrations in functions/: settings are read
// and validated once per instance, clients are built once, and every invocation logs one
// structured summary through the Functions logger (it reaches Application Insights).
import type { InvocationContext } from '@azure/functions';
import { blobServiceClient, defaultCredential, logsIngestionClient } from '../config/azure-clients.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { discoverServers } from '../ship/discover-servers.js';
import { createShipContext, type ShipClients, type ShipContext } from '../ship/ship-context.js';
import { addToPlan, blobLogRecord, planLive, runSweep, type SweepPlan, type SweepSummary } from '../ship/sweep.js';
import { totalRows } from '../pipeline/stats.js';

export interface Runtime {
  readonly settings: Settings;
  readonly context: ShipContext;
  lastDiscovery: number;
}

const DISCOVERY_EVERY_MS = 60 * 60_000;
let runtime: Promise<Runtime> | null = null;

/** Builds the runtime from settings and clients (tests pass their own clients). */
export async function createRuntime(settings: Settings, clients: ShipClients, log: (m: string) => void = () => undefined): Promise<Runtime> {
  const context = createShipContext(
    {
      ruleId: settings.ruleId,
      stream: settings.stream,
      logsContainer: settings.logsContainer,
      stateContainer: settings.stateContainer,
      deadLetterContainer: settings.deadLetterContainer,
      pipelineOptions: {
        logLinePrefix: settings.logLinePrefix,
        serverLogLinePrefixes: settings.serverLogLinePrefixes,
        statementCap: settings.statementCap,
        redactPatterns: settings.redactPatterns,
      },
      graceMs: settings.graceMs,
      flushBytes: settings.flushBytes,
      concurrency: 4,
    },
    clients,
    log,
  );
  await context.ensureContainers();
  return { settings, context, lastDiscovery: 0 };
}

function runtimeFromEnvironment(): Promise<Runtime> {
  runtime ??= (async () => {
    const settings = loadSettings();
    const clients: ShipClients = {
      logs: blobServiceClient(settings.logsStorage, settings.managedIdentityClientId),
      state: blobServiceClient(settings.stateStorage, settings.managedIdentityClientId),
      ingestion: logsIngestionClient(settings.endpoint, defaultCredential(settings.managedIdentityClientId)),
    };
    return createRuntime(settings, clients);
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

async function run(plan: SweepPlan, rt: Runtime, ctx: InvocationContext, trigger: string): Promise<SweepSummary> {
  const deps = { ...rt.context.deps, log: (m: string) => ctx.log(m) };
  const summary = await runSweep(plan, deps);
  for (const b of summary.blobs) if (b.status !== 'missing' && b.status !== 'up-to-date') ctx.log(JSON.stringify({ event: 'pgaudit-ingest.blob', trigger, ...blobLogRecord(b) }));
  ctx.log(
    JSON.stringify({
      event: 'pgaudit-ingest.summary',
      trigger,
      servers: summary.servers,
      busyServers: summary.busyServers.length,
      blobs: summary.blobs.filter((b) => b.status === 'shipped').length,
      rows: totalRows(summary.stats),
      rowsByEventType: summary.stats.rows,
      shipped: summary.shipped,
      deadLettered: summary.deadLettered,
      dropped: summary.stats.dropped,
      unparsed: summary.stats.rows.UNPARSED,
      redacted: summary.stats.redacted,
      requests: summary.requests,
      durationMs: summary.durationMs,
    }),
  );
  if (summary.deadLettered > 0) ctx.warn(`${summary.deadLettered} row(s) were dead-lettered; run \`pgaudit-ingest replay\` once the cause is fixed`);
  return summary;
}

/** Blob trigger (Event Grid): start tracking the new blob and ship what it already holds. */
export async function onBlobCreated(_blob: unknown, ctx: InvocationContext): Promise<SweepSummary> {
  const rt = await runtimeFromEnvironment();
  const name = ctx.triggerMetadata?.name;
  if (typeof name !== 'string' || name === '') throw new Error(`blob trigger without a blob name (trigger metadata: ${JSON.stringify(ctx.triggerMetadata ?? {})})`);
  const plan: SweepPlan = new Map();
  addToPlan(plan, name);
  return run(plan, rt, ctx, 'blobCreated');
}

/** Timer: every blob that can still grow, from its checkpoint. */
export async function onSweep(_timer: unknown, ctx: InvocationContext): Promise<SweepSummary> {
  const rt = await runtimeFromEnvironment();
  const now = rt.context.deps.options.now();
  let extra: string[] = [];
  if (now.getTime() - rt.lastDiscovery > DISCOVERY_EVERY_MS) {
    extra = await discoverServers(rt.context.deps.source);
    rt.lastDiscovery = now.getTime();
  }
  const plan = await planLive(rt.context.store, now, rt.settings.graceMs, extra);
  return run(plan, rt, ctx, 'sweep');
}
