// What the Azure Functions do, behind the thin registrations in functions/: settings are read
// and validated once per instance, clients are built once, the health check runs once at start-up,
// and every invocation logs one structured summary (and every error) through the Functions logger,
// which reaches Application Insights. An invocation that had errors fails after logging them.
// The timer sweep and blobCreated only plan: the sweep puts one planning message per shard of
// servers on the server queue (docs/design.md "Planning a fleet"), a shard's planner puts one
// message per server with work, and shipServer ships that one server (docs/design.md
// "Scale-out"), so planning and shipping both scale out with the queue. The CLI's `ship` still
// runs a plan in one process.
import { randomUUID } from 'node:crypto';
import type { InvocationContext } from '@azure/functions';
import type { QueueServiceClient } from '@azure/storage-queue';
import { defaultCredential } from '../config/azure-clients.js';
import { ingestionTransport, shippingClients } from '../ship/ship-clients.js';
import { hostQueueSettings, type HostQueueSettings } from '../config/host-queue-settings.js';
import { queueServiceClient } from '../config/queue-client.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { RunFailedError } from '../errors/run-failed-error.js';
import { runErrorOf } from '../errors/run-error.js';
import { prefixWarnings } from '../parse/log-line-prefix.js';
import { dcrShardOf, dcrTargetsOf } from '../ship/dcr-shards.js';
import { discoverServers } from '../ship/discover-servers.js';
import type { IngestionTransport } from '../ship/ingestion-transport.js';
import { checkStream, formatCheck, healthTargetsOf, runHealthChecks } from '../ship/health-check.js';
import { planOf, planServerLookback, type Plan, type PlanStats } from '../ship/plan.js';
import { isPlanMessage, readPlanMessage, type PlanMessage } from '../ship/plan-message.js';
import { listShards, NEW_SERVERS_PER_MESSAGE, PLAN_SHARD_SIZE, planNewServers, planShard, type ListedServerDoc } from '../ship/plan-shard.js';
import { checkPreviousSweep, writeReceipt, writeSweepRecord } from '../ship/plan-watchdog.js';
import { recordedRun } from '../ship/recorded-run.js';
import { errorRecord, newRunInfo, sendRunRecords } from '../ship/run-records.js';
import { readServerState } from '../state/documents.js';
import { readBlobText } from '../state/read-text.js';
import { StateStore } from '../state/state-store.js';
import type { Trigger } from '../run-record-schema.js';
import { logRun } from './run-log.js';
import { readServerMessage } from '../ship/server-message.js';
import { ServerQueue } from '../ship/server-queue.js';
import { createShipContext, shipConfigOf, type ShipClients, type ShipContext } from '../ship/ship-context.js';
import type { ShippingSummary } from '../ship/shipping-run.js';
import { blobNameOfEvent } from './blob-event.js';
import { DEFER_SECONDS, deferBusyServer, dequeueCountOf, recordError, rejectMessage, reportPoison, serverOfMessage } from './queue-steps.js';

export interface Runtime {
  readonly settings: Settings;
  readonly context: ShipContext;
  /** One shipping context per DCR (dcr-shards.ts), shard 0 (`context`) first. */
  readonly dcrContexts: readonly ShipContext[];
  /** The server queue (PGAUDIT_QUEUE_NAME on the state account) and its poison queue. */
  readonly queue: ServerQueue;
  /** host.json's queue settings, as the host applies them to shipServer. */
  readonly host: HostQueueSettings;
  /** How long a busy server's message waits before it is tried again (queue-steps.ts). */
  readonly deferSeconds: number;
  /** Server documents per planning shard (plan-shard.ts). */
  readonly planShardSize: number;
  lastDiscovery: number;
  /** When this instance's timer last planned (null: not since it started; then every day is listed). */
  lastPlanAt: Date | null;
}

/**
 * The shipping clients and the state account's queue service; `ingestionFor` makes the transport
 * of a further DCR's endpoint (PGAUDIT_DCR_SHARDS).
 */
export type AppClients = ShipClients & { readonly queue: QueueServiceClient; readonly ingestionFor?: (endpoint: string) => IngestionTransport };

const DISCOVERY_EVERY_MS = 60 * 60_000;
let runtime: Promise<Runtime> | null = null;

/** Builds the runtime from settings and clients (tests pass their own clients). */
export async function createRuntime(settings: Settings, clients: AppClients, log: (m: string) => void = () => undefined, host: HostQueueSettings = hostQueueSettings()): Promise<Runtime> {
  const context = createShipContext(shipConfigOf(settings), clients, log);
  await context.ensureContainers();
  const dcrContexts = dcrTargetsOf(settings).map((t, i) => {
    if (i === 0) return context;
    if (!clients.ingestionFor) throw new Error(`PGAUDIT_DCR_SHARDS names ${settings.dcrShards.length} further DCR(s), but no transport was given for their endpoints`);
    return createShipContext({ ...shipConfigOf(settings), ruleId: t.immutableId }, { ...clients, ingestion: t.endpoint === settings.ingestionEndpoint ? clients.ingestion : clients.ingestionFor(t.endpoint) }, log);
  });
  const queue = ServerQueue.of(clients.queue, settings.queueName, host.messageEncoding);
  await queue.ensure();
  return { settings, context, dcrContexts, queue, host, deferSeconds: DEFER_SECONDS, planShardSize: PLAN_SHARD_SIZE, lastDiscovery: 0, lastPlanAt: null };
}

/**
 * An instance's start: warnings about the settings, the health check (each result logged; a
 * failed check does not stop the start, the runs then report the same problem), the runtime.
 */
export async function startUp(settings: Settings, clients: AppClients, ctx: Pick<InvocationContext, 'log' | 'warn' | 'error'>): Promise<Runtime> {
  for (const p of [settings.logLinePrefix, ...Object.values(settings.serverLogLinePrefixes)]) for (const w of prefixWarnings(p)) ctx.warn(`pgaudit-ingest start-up: ${w}`);
  const targets = healthTargetsOf(settings, clients);
  const results = await runHealthChecks(targets);
  // Each further DCR shard (PGAUDIT_DCR_SHARDS) gets the empty upload too: a missing role shows at start-up.
  for (const [i, shard] of settings.dcrShards.entries()) {
    if (clients.ingestionFor) results.push(await checkStream({ ...targets, ingestion: clients.ingestionFor(shard.endpoint), ruleId: shard.immutableId }, settings.streamName, ` (DCR shard ${i + 1}, ${shard.immutableId})`));
  }
  for (const r of results) {
    if (r.ok) ctx.log(`pgaudit-ingest start-up check: ${formatCheck(r)}`);
    else ctx.error(`pgaudit-ingest start-up check: ${formatCheck(r)}`);
  }
  return createRuntime(settings, clients);
}

function runtimeFromEnvironment(ctx: InvocationContext): Promise<Runtime> {
  runtime ??= (async () => {
    const settings = loadSettings();
    const ingestionFor = (endpoint: string): IngestionTransport => ingestionTransport(endpoint, defaultCredential(settings.clientId));
    return startUp(settings, { ...shippingClients(settings), queue: queueServiceClient(settings.stateStorage, settings.clientId), ingestionFor }, ctx);
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

/** The shipping context of a server: the one of its DCR shard. */
export function contextOfServer(rt: Runtime, serverPath: string): ShipContext {
  return rt.dcrContexts[dcrShardOf(serverPath, rt.dcrContexts.length)] ?? rt.context;
}

async function run(plan: Plan, rt: Runtime, ctx: InvocationContext, trigger: Trigger, ship: ShipContext = rt.context): Promise<ShippingSummary> {
  const deps = { ...ship.deps, log: (m: string) => ctx.log(m) };
  const { summary, delivery } = await recordedRun(ship, plan, newRunInfo(trigger), deps);
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

/** Servers the watchdog reports one by one per sweep (the rest in one record) and re-plans. */
export const WATCHDOG_MAX_SERVERS = 1_000;
const WATCHDOG_MAX_RECORDS = 100;

export interface SweepResult {
  /** Servers enqueued for shipping directly: rescued by the watchdog. */
  readonly enqueued: string[];
  /** Planning shards enqueued (pages of server documents). */
  readonly shards: number;
  /** Servers discovered without a state document, enqueued for planning (NEW_SERVERS_PER_MESSAGE a message). */
  readonly discovered: string[];
  /** Servers (paths, or document names when unknown) that had no plan in the previous interval. */
  readonly unplanned: string[];
  readonly summary: ShippingSummary;
}

/** A server document's server path: from its metadata, else from the document (null if unreadable). */
async function serverPathOf(store: StateStore, doc: ListedServerDoc): Promise<string | null> {
  if (doc.serverPath) return doc.serverPath;
  const text = await readBlobText(store.container.getBlobClient(doc.name)).catch(() => null);
  try {
    return text ? readServerState(doc.name, text.text).serverPath : null;
  } catch {
    return null;
  }
}

/**
 * Timer: the planner of planners. Lists the server documents (names and metadata; one call per
 * shard), checks that every server the previous sweep should have planned was planned (the
 * watchdog), puts one planning message per shard on the queue, planning messages naming the
 * servers discovered without a document (hourly discovery), and one shipping message per server
 * the previous sweep missed. It reads no server's document and lists no server's blobs: that is
 * the shards' work.
 */
export async function onSweep(_timer: unknown, ctx: InvocationContext): Promise<SweepResult> {
  const rt = await runtimeFromEnvironment(ctx);
  const store = rt.context.store;
  const now = rt.context.deps.options.now();
  const sweepId = `${now.toISOString().replace(/[-:.]/g, '')}-${randomUUID().slice(0, 8)}`;
  const listed = await logged(ctx, 'sweep', listShards(store, rt.planShardSize));
  const watch = await logged(ctx, 'sweep', checkPreviousSweep(store, listed.docs));
  let extra: string[] = [];
  if (now.getTime() - rt.lastDiscovery > DISCOVERY_EVERY_MS) {
    extra = await discoverServers(rt.context.deps.source);
    rt.lastDiscovery = now.getTime();
  }
  const known = new Set(listed.docs.map((d) => d.name));
  const fresh = extra.filter((p) => !known.has(StateStore.serverDocName(p)));
  const rescued: string[] = [];
  for (const doc of watch.unplanned.slice(0, WATCHDOG_MAX_SERVERS)) {
    const path = await serverPathOf(store, doc);
    if (path) rescued.push(path);
  }
  // Recorded before the messages go: a sweep whose messages were not all sent shows as unplanned.
  // Its time is the wall clock, compared with the documents' creation times.
  await logged(ctx, 'sweep', writeSweepRecord(store, { sweepId, at: new Date().toISOString(), shards: listed.shards.length, servers: listed.docs.length }));
  const previousPlanAt = rt.lastPlanAt?.toISOString() ?? null;
  // A failed send fails the sweep before its heartbeat: the pipeline-silent alert sees it.
  const newServerPlans = Array.from({ length: Math.ceil(fresh.length / NEW_SERVERS_PER_MESSAGE) }, (_, i) => ({
    sweepId, shard: listed.shards.length + i, token: null, until: null, previousPlanAt: null, servers: fresh.slice(i * NEW_SERVERS_PER_MESSAGE, (i + 1) * NEW_SERVERS_PER_MESSAGE),
  }));
  await logged(ctx, 'sweep', rt.queue.sendPlans([...listed.shards.map((s) => ({ sweepId, shard: s.index, token: s.token, until: s.until, previousPlanAt })), ...newServerPlans]));
  const enqueued = await logged(ctx, 'sweep', rt.queue.sendAll(rescued.map((serverPath) => ({ serverPath, reason: 'sweep' as const }))));
  rt.lastPlanAt = now;
  ctx.log(JSON.stringify({ event: 'pgaudit-ingest.enqueued', trigger: 'sweep', sweepId, shards: listed.shards.length, serversKnown: listed.docs.length, servers: enqueued.length, discovered: fresh.length, unplanned: watch.unplanned.length }));
  const stats: PlanStats = { serversSeen: listed.docs.length + fresh.length, blobsChecked: 0, bytesBehind: 0, listCalls: listed.listCalls };
  // Nothing is shipped or planned here: the run is empty, its heartbeat counts the servers known.
  const summary = await run({ plan: new Map(), stats, problems: [] }, rt, ctx, 'sweep');
  const unplanned = watch.unplanned.map((d, i) => (i < rescued.length ? rescued[i]! : (d.serverPath ?? d.name)));
  if (watch.previous && unplanned.length > 0) await reportUnplanned(rt, watch.previous.at, unplanned, rescued.length, ctx);
  return { enqueued, shards: listed.shards.length, discovered: fresh, unplanned, summary };
}

/** The watchdog's finding: one error run record per server (up to a cap), then one for the rest. */
async function reportUnplanned(rt: Runtime, since: string, servers: readonly string[], rescued: number, ctx: InvocationContext): Promise<void> {
  const info = newRunInfo('sweep');
  const at = new Date().toISOString();
  const hint = 'its planning shard did not finish in the last interval (a failed or poisoned planning message, or a queue backlog); it was given a shipping message of its own';
  const records = servers.slice(0, WATCHDOG_MAX_RECORDS).map((server) =>
    errorRecord(info, at, { server: server.startsWith('servers/') ? null : server, code: 'ServerNotPlanned', message: `${server} was not planned since the sweep of ${since}`, hint }),
  );
  if (servers.length > WATCHDOG_MAX_RECORDS) {
    records.push(errorRecord(info, at, { server: null, code: 'ServerNotPlanned', message: `${servers.length - WATCHDOG_MAX_RECORDS} more server(s) were not planned since the sweep of ${since} (${rescued} of all ${servers.length} were given a shipping message)`, hint }));
  }
  ctx.warn(JSON.stringify({ event: 'pgaudit-ingest.unplanned', trigger: 'sweep', since, servers: servers.length, rescued, first: servers.slice(0, 10) }));
  const lines: string[] = [];
  await sendRunRecords(records, rt.context.runSink, (l) => lines.push(l));
  for (const l of lines) ctx.error(l);
}

/**
 * Queue, a planning message: plans the servers of one shard, puts one shipping message per server
 * with work (naming its blobs), and leaves the receipt the watchdog checks. Its heartbeat carries
 * what planning saw; servers whose documents could not be read are error records.
 */
async function onPlanShard(rt: Runtime, m: PlanMessage, ctx: InvocationContext): Promise<ShippingSummary> {
  const now = rt.context.deps.options.now();
  try {
    const o = { now, lookbackMs: rt.context.config.lookbackMs, previousPlanAt: m.previousPlanAt ? new Date(m.previousPlanAt) : null, size: rt.planShardSize };
    const planned = m.servers ? await planNewServers(rt.context.deps.source, m.servers, o) : await planShard(rt.context.deps.source, rt.context.store, m, o);
    const enqueued = await rt.queue.sendAll([...planned.plan].map(([serverPath, blobs]) => ({ serverPath, blobs: [...blobs.keys()], reason: 'sweep' as const })));
    if (!m.servers) await writeReceipt(rt.context.store, m.sweepId, m.shard, planned.covered);
    ctx.log(JSON.stringify({ event: 'pgaudit-ingest.planned', trigger: 'queue', sweepId: m.sweepId, shard: m.shard, servers: planned.covered.length, enqueued: enqueued.length, ...planned.stats }));
    const deps = { ...rt.context.deps, log: (line: string) => ctx.log(line) };
    const { summary, delivery } = await recordedRun(rt.context, { plan: new Map(), stats: planned.stats, problems: planned.problems }, newRunInfo('queue'), deps);
    logRun(summary, delivery, 'queue', ctx);
    return summary;
  } catch (err) {
    const attempt = dequeueCountOf(ctx);
    if (attempt !== null && attempt >= rt.host.maxDequeueCount) {
      const cause = runErrorOf(null, err);
      const e = { server: null, code: 'QueueMessagePoisoned', message: `planning shard ${m.shard} of sweep ${m.sweepId} failed on attempt ${attempt} of ${rt.host.maxDequeueCount} and goes to the poison queue; last error ${cause.code}: ${cause.message}`, hint: 'the next sweep plans the shard again, and its watchdog reports the servers this shard missed' };
      ctx.error(JSON.stringify({ event: 'pgaudit-ingest.poison', trigger: 'queue', ...e, attempt }));
      await recordError(rt, e, ctx);
    }
    throw err;
  }
}

/**
 * Queue: ships the one server a message names, under its lease: the blobs it names (blobCreated),
 * or that server's own lookback plan. A server whose lease another worker holds is put back with
 * a delay (queue-steps.ts says why); the last failed attempt is reported as a poison message.
 */
export async function onShipServer(message: unknown, ctx: InvocationContext): Promise<ShippingSummary | null> {
  const rt = await runtimeFromEnvironment(ctx);
  if (isPlanMessage(message)) {
    const plan = readPlanMessage(message);
    if (plan) return onPlanShard(rt, plan, ctx);
    await rejectMessage(rt, null, 'a planning message that does not read as one', ctx);
    return null;
  }
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
    // The server's rows and run records go through its DCR shard.
    const summary = await run(plan, rt, ctx, 'queue', contextOfServer(rt, m.serverPath));
    if (summary.busyServers.includes(m.serverPath)) await deferBusyServer(rt.queue, m, ctx, rt.deferSeconds);
    return summary;
  } catch (err) {
    const attempt = dequeueCountOf(ctx);
    if (attempt !== null && attempt >= rt.host.maxDequeueCount) await reportPoison(rt, m, attempt, err, ctx);
    throw err;
  }
}
