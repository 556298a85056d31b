// The fleet simulation behind `npm run bench:scale` (issue 27) and its reduced form in the test
// suite (test/scenarios/scale.test.ts): N servers with one small blob each in the current hour,
// each already shipped (its state document says so, with the planning summary in its metadata, as
// a shipped run leaves it), then a fraction of them grows. Measured against Azurite, through a proxy
// that counts storage transactions:
//   - the reference planner (plan.ts planLookback: every server's document and day prefixes, one
//     invocation), optionally;
//   - the fan-out planner: the timer's listing (listShards), then every shard (planShard), with the
//     previous plan 5 minutes earlier (so about 1 in 12 servers lists its older days);
//   - the drain: the grown servers' shipping messages through the app's shipServer handler and the
//     stand-in for the host's queue listener, one worker (this process), as on one instance.
import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import functions from '@azure/functions';
import { createRuntime, onShipServer, useRuntime } from '../../src/app/function-runtime.js';
import { hostQueueSettings } from '../../src/config/host-queue-settings.js';
import { loadSettings } from '../../src/config/settings.js';
import { planLookback } from '../../src/ship/plan.js';
import { emptyFleetStats, listShards, planShard, PLAN_SHARD_SIZE, type FleetPlanStats } from '../../src/ship/plan-shard.js';
import { newServerState, StateStore } from '../../src/state/state-store.js';
import { serverMetadata } from '../../src/state/server-metadata.js';
import { startCountingProxy } from '../../test/support/counting-proxy.js';
import { drainQueue } from '../../test/support/queue-host.js';
import { appSettingsEnv, type Stack } from '../../test/support/stack.js';
import { bytesOf, hourBlob, serverPath, SessionScript, type ExpectedAudit } from '../../test/scenarios/workload.js';

const { InvocationContext } = functions;
export const LOGS = 'insights-logs-postgresqllogs';

export interface ScaleOptions {
  readonly servers: number;
  /** Fraction of servers that grow before the sweep (default 0.1). */
  readonly grownFraction?: number;
  /** Also run the reference planner (slow for large fleets). */
  readonly reference?: boolean;
  /** At most this many grown servers are drained (default all). */
  readonly drainLimit?: number;
  readonly shardSize?: number;
  /** Shards planned at once in this process (an instance takes several queue messages at once). */
  readonly shardParallel?: number;
  readonly log?: (line: string) => void;
  /** The planners' clock (default: now); the blobs are in its hour. */
  readonly now?: Date;
}

export interface PlannerNumbers {
  readonly wallMs: number;
  readonly transactions: number;
  readonly perServer: number;
  readonly counts: Record<string, number>;
}

export interface ScaleResult {
  readonly servers: number;
  readonly grown: number;
  readonly setupMs: number;
  readonly reference: PlannerNumbers | null;
  readonly fanOut: PlannerNumbers & { readonly timerMs: number; readonly shards: number; readonly shardMsMax: number; readonly shardMsMean: number; readonly stats: FleetPlanStats; readonly planned: string[] };
  /** The grown servers' expected AUDIT rows, for a correctness check. */
  readonly expected: Map<string, ExpectedAudit[]>;
  readonly drain: { readonly servers: number; readonly wallMs: number; readonly perSecond: number; readonly cpuMsPerServer: number; readonly failed: number };
  readonly peakRssMb: number;
}

const total = (c: Record<string, number>): number => Object.values(c).reduce((n, x) => n + x, 0);

async function pool<T>(items: readonly T[], parallel: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!, i);
  }));
}

export async function simulateFleet(stack: Stack, o: ScaleOptions): Promise<ScaleResult> {
  const log = o.log ?? (() => undefined);
  const id = randomUUID().slice(0, 6);
  const now = o.now ?? new Date();
  const hour = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000);
  const names = Array.from({ length: o.servers }, (_, i) => `pg-scale-${id}-${String(i).padStart(5, '0')}`);
  let peakRss = process.memoryUsage().rss;
  const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  sample.unref();
  const t0 = performance.now();
  const logs = stack.blobs.getContainerClient(LOGS);
  await logs.createIfNotExists();
  const env = appSettingsEnv(stack, `scale-${id}`);
  const rt = await createRuntime(loadSettings(env), { ...stack.clients(), queue: stack.queueService() });
  const state = rt.context.store.container;
  // Every server shipped once: its blob, and its document with a checkpoint at the blob's end.
  await pool(names, 32, async (server, i) => {
    const s = new SessionScript(`5${i.toString(16)}.1`, 1000 + (i % 50_000), 'bench', 'app', hour, server);
    const blob = logs.getAppendBlobClient(hourBlob(server, hour));
    await blob.createIfNotExists();
    const bytes = bytesOf([...s.connect(), ...s.audit(3)]);
    await blob.appendBlock(bytes, bytes.length);
    const p = await blob.getProperties();
    const st = newServerState(serverPath(server));
    st.blobs[hourBlob(server, hour)] = { offset: bytes.length, length: bytes.length, createdOn: p.createdOn!.toISOString(), settledLength: null, rows: 4, deadLettered: 0, updatedAt: new Date().toISOString() };
    const body = JSON.stringify(st);
    await state.getBlockBlobClient(StateStore.serverDocName(serverPath(server))).upload(body, body.length, { metadata: serverMetadata(st) });
    if (i % 5000 === 4999) log(`  ${i + 1} servers written`);
  });
  // A fraction grows: a new session each, appended to the hour's blob.
  const grownCount = Math.round(o.servers * (o.grownFraction ?? 0.1));
  const grown = names.filter((_, i) => i % Math.round(o.servers / Math.max(1, grownCount)) === 0).slice(0, grownCount);
  const expected = new Map<string, ExpectedAudit[]>();
  await pool(grown, 32, async (server, i) => {
    const s = new SessionScript(`6${i.toString(16)}.2`, 2000 + (i % 50_000), 'bench', 'app', hour, server);
    const bytes = bytesOf([...s.connect(), ...s.audit(3)]);
    await logs.getAppendBlobClient(hourBlob(server, hour)).appendBlock(bytes, bytes.length);
    expected.set(serverPath(server), s.expected);
  });
  const setupMs = performance.now() - t0;
  log(`  setup ${(setupMs / 1000).toFixed(1)} s`);

  const proxy = await startCountingProxy(stack.azurite);
  try {
    const counted = BlobServiceClient.fromConnectionString(proxy.connectionString);
    const source = counted.getContainerClient(LOGS);
    const store = new StateStore(counted.getContainerClient(state.containerName));
    const lookbackMs = rt.context.config.lookbackMs;

    let reference: PlannerNumbers | null = null;
    if (o.reference) {
      proxy.reset();
      const r0 = performance.now();
      const ref = await planLookback(source, store, now, lookbackMs);
      const wallMs = performance.now() - r0;
      const counts = proxy.counts();
      if (ref.plan.size !== grown.length) throw new Error(`the reference planner planned ${ref.plan.size} servers, expected ${grown.length}`);
      reference = { wallMs, transactions: total(counts), perServer: total(counts) / o.servers, counts };
      log(`  reference planner ${(wallMs / 1000).toFixed(1)} s, ${(total(counts) / o.servers).toFixed(2)} transactions/server`);
    }

    proxy.reset();
    const f0 = performance.now();
    const size = o.shardSize ?? PLAN_SHARD_SIZE;
    const { shards } = await listShards(store, size);
    const timerMs = performance.now() - f0;
    const stats = emptyFleetStats();
    const shardMs: number[] = [];
    const planned: string[] = [];
    await pool(shards, o.shardParallel ?? 2, async (shard) => {
      const s0 = performance.now();
      const part = await planShard(source, store, shard, { now, lookbackMs, previousPlanAt: new Date(now.getTime() - 5 * 60_000), size });
      shardMs.push(performance.now() - s0);
      for (const k of Object.keys(stats) as (keyof FleetPlanStats)[]) stats[k] += part.stats[k];
      planned.push(...part.plan.keys());
    });
    const wallMs = performance.now() - f0;
    const counts = proxy.counts();
    log(`  fan-out planner ${(wallMs / 1000).toFixed(1)} s (${shards.length} shards), ${(total(counts) / o.servers).toFixed(2)} transactions/server`);

    // The drain: the grown servers' shipping messages (as the shards put them), one worker.
    const toDrain = grown.slice(0, o.drainLimit ?? grown.length);
    useRuntime(rt);
    await rt.queue.sendAll(toDrain.map((server) => ({ serverPath: serverPath(server), blobs: [hourBlob(server, hour)], reason: 'sweep' as const })));
    // Warm: the credential and connections (an instance is warm too).
    await onShipServer({ version: 1, serverPath: 'resourceId=/WARMUP/', reason: 'sweep', enqueuedAt: new Date().toISOString() }, new InvocationContext({ functionName: 'warmup', logHandler: () => undefined }));
    const cpu0 = process.cpuUsage();
    const d0 = performance.now();
    const drained = await drainQueue(rt.queue.queue, rt.queue.poison, onShipServer, { host: hostQueueSettings(), untilEmpty: true, timeoutMs: 600_000, pollMs: 20 });
    const drainMs = performance.now() - d0;
    const cpu = process.cpuUsage(cpu0);
    useRuntime(null);
    log(`  drained ${drained.handled} servers in ${(drainMs / 1000).toFixed(1)} s`);
    clearInterval(sample);
    return {
      servers: o.servers,
      grown: grown.length,
      setupMs,
      reference,
      fanOut: { wallMs, transactions: total(counts), perServer: total(counts) / o.servers, counts, timerMs, shards: shards.length, shardMsMax: Math.max(...shardMs), shardMsMean: shardMs.reduce((a, b) => a + b, 0) / Math.max(1, shardMs.length), stats, planned },
      expected,
      drain: { servers: drained.handled, wallMs: drainMs, perSecond: drained.handled / (drainMs / 1000), cpuMsPerServer: (cpu.user + cpu.system) / 1000 / Math.max(1, drained.handled), failed: drained.failed },
      peakRssMb: peakRss / 1e6,
    };
  } finally {
    clearInterval(sample);
    await proxy.close();
  }
}
