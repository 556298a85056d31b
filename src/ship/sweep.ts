// One sweep: which blobs may have grown (a plan), then, per server under its lease, each blob in
// time order through one pipeline (sessions continue from blob to blob). Servers that another
// worker owns are skipped, never waited on: the owner ships them.
import type { ContainerClient } from '@azure/storage-blob';
import { AuditPipeline } from '../pipeline/audit-pipeline.js';
import type { PipelineOptions } from '../pipeline/options.js';
import { addStats, emptyStats, totalRows, type PipelineStats } from '../pipeline/stats.js';
import { hourlyBlobName, parseBlobPath } from '../state/blob-path.js';
import type { StateStore } from '../state/state-store.js';
import { shipBlob, type BlobShipResult, type ShipDeps } from './blob-shipper.js';

export type SweepPlan = Map<string, Set<string>>; // serverPath → blob names

export interface SweepSummary {
  servers: number;
  busyServers: string[];
  blobs: BlobShipResult[];
  stats: PipelineStats;
  shipped: number;
  deadLettered: number;
  requests: number;
  acceptedBytes: number;
  durationMs: number;
}

export function addToPlan(plan: SweepPlan, blobName: string): void {
  const { serverPath } = parseBlobPath(blobName);
  let set = plan.get(serverPath);
  if (!set) plan.set(serverPath, (set = new Set()));
  set.add(blobName);
}

/** Every blob under a prefix (CLI `ship`), optionally only hours in [from, to) (`backfill`). */
export async function planFromListing(source: ContainerClient, prefix: string, range?: { from: Date; to: Date }): Promise<SweepPlan> {
  const plan: SweepPlan = new Map();
  for await (const item of source.listBlobsFlat({ prefix: prefix || undefined })) {
    if (!item.name.endsWith('.json')) continue;
    const hour = parseBlobPath(item.name).hourStart;
    if (range && (!hour || hour < range.from || hour >= range.to)) continue;
    addToPlan(plan, item.name);
  }
  return plan;
}

/**
 * The live plan (timer sweep): for every server the state knows, its tracked open blobs, the
 * current hour's blob and, within the grace period, the previous hour's.
 */
export async function planLive(store: StateStore, now: Date, graceMs: number, extraServers: Iterable<string> = []): Promise<SweepPlan> {
  const plan: SweepPlan = new Map();
  const servers = new Set<string>(extraServers);
  for (const state of await store.listServers()) {
    servers.add(state.serverPath);
    for (const name of Object.keys(state.blobs)) addToPlan(plan, name);
  }
  for (const serverPath of servers) {
    addToPlan(plan, hourlyBlobName(serverPath, now));
    const previous = new Date(now.getTime() - 3_600_000);
    if (now.getTime() - Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours()) < graceMs) {
      addToPlan(plan, hourlyBlobName(serverPath, previous));
    }
  }
  return plan;
}

/** Chronological order (hour, then name): sessions flow forward in time. */
function chronological(names: Iterable<string>): string[] {
  return [...names].sort((a, b) => {
    const ha = parseBlobPath(a).hourStart?.getTime() ?? 0;
    const hb = parseBlobPath(b).hourStart?.getTime() ?? 0;
    return ha - hb || (a < b ? -1 : a > b ? 1 : 0);
  });
}

export interface SweepDeps extends ShipDeps {
  readonly pipelineOptions: Partial<PipelineOptions>;
  readonly concurrency: number;
  readonly onBlob?: (r: BlobShipResult) => void;
}

export async function runSweep(plan: SweepPlan, deps: SweepDeps): Promise<SweepSummary> {
  const started = performance.now();
  const summary: SweepSummary = {
    servers: plan.size, busyServers: [], blobs: [], stats: emptyStats(), shipped: 0, deadLettered: 0, requests: 0, acceptedBytes: 0, durationMs: 0,
  };
  const before = { ...deps.sink.counters };
  const queue = [...plan.entries()];
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const [serverPath, names] = item;
      const lease = await deps.store.acquire(serverPath);
      if (!lease) {
        summary.busyServers.push(serverPath);
        deps.log(`${serverPath}: another worker owns this server right now; skipped`);
        continue;
      }
      try {
        const pipeline = new AuditPipeline(deps.pipelineOptions, lease.state.sessions ?? undefined);
        for (const name of chronological(new Set([...names, ...Object.keys(lease.state.blobs)]))) {
          const r = await shipBlob(name, lease, pipeline, deps);
          summary.blobs.push(r);
          if (r.stats) addStats(summary.stats, r.stats);
          summary.shipped += r.shipped;
          summary.deadLettered += r.deadLettered;
          deps.onBlob?.(r);
        }
      } finally {
        await lease.release();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.concurrency, plan.size)) }, worker));
  summary.requests = deps.sink.counters.requests - before.requests;
  summary.acceptedBytes = deps.sink.counters.acceptedBytes - before.acceptedBytes;
  summary.durationMs = Math.round(performance.now() - started);
  return summary;
}

/** One structured line per blob for logs (Application Insights, CLI stderr). */
export function blobLogRecord(r: BlobShipResult): Record<string, unknown> {
  return {
    blob: r.blob,
    status: r.status,
    range: r.range,
    rows: r.stats?.rows ?? {},
    totalRows: r.stats ? totalRows(r.stats) : 0,
    shipped: r.shipped,
    deadLettered: r.deadLettered,
    dropped: r.stats?.dropped ?? 0,
    redacted: r.stats?.redacted ?? 0,
    missingStatements: r.stats?.missingStatements ?? 0,
    closed: r.closed,
    bytesBehind: r.bytesBehind,
    durationMs: r.durationMs,
  };
}
