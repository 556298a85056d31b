// One shipping run (the queue's shipServer, the CLI's ship and backfill; not the timer, which only plans):
// per server, under its lease, each planned blob in time order through one pipeline
// (sessions continue from blob to blob). Servers another worker owns are skipped, never waited
// on: the owner ships them. A failure of one server's state or storage stops that server only
// (its lease is released, the others ship); an upload Stop (IngestionError: wrong DCR, role,
// token, endpoint down) would meet every server alike, so it stops the run.
import { runErrorOf, type RunError } from '../errors/run-error.js';
import { AuditPipeline } from '../pipeline/audit-pipeline.js';
import type { PipelineOptions } from '../pipeline/options.js';
import { addStats, emptyStats, totalRows, type PipelineStats } from '../pipeline/stats.js';
import { parseBlobPath } from '../read/blob-path.js';
import type { StateNotice } from '../state/server-lease.js';
import { shipBlob, type BlobShipResult, type RangeReport, type ShipDeps } from './blob-shipper.js';
import { IngestionError } from '../errors/ingestion-error.js';
import type { PlannedBlob, ShippingPlan } from './plan.js';
import { runClock, type RunClock } from './run-clock.js';

export type { RunError };

export interface ShippingSummary {
  servers: number;
  busyServers: string[];
  /** Servers not attempted: the run stopped or its time budget ended first. */
  notStarted: string[];
  blobs: BlobShipResult[];
  /** Every checkpoint written, in order: one `blob` run record each. */
  ranges: (RangeReport & { server: string })[];
  stats: PipelineStats;
  shipped: number;
  deadLettered: number;
  /** Bytes shipped that were appended after their blob's hour had ended. */
  lateBytes: number;
  /** Upload attempts, retries included. */
  requests: number;
  acceptedRequests: number;
  acceptedBytes: number;
  errors: RunError[];
  notices: (StateNotice & { server: string })[];
  /** The upload Stop that ended the run, if one did. */
  stoppedBy: IngestionError | null;
  budgetSpent: boolean;
  durationMs: number;
}

export interface ShippingDeps extends ShipDeps {
  readonly pipelineOptions: Partial<PipelineOptions>;
  readonly concurrency: number;
  /** Run time budget in ms (0: none). */
  readonly budgetMs: number;
  /** One upload attempt's timeout: what may run past the budget (run-clock.ts). */
  readonly uploadTimeoutMs: number;
  readonly onBlob?: (r: BlobShipResult) => void;
}

/** Chronological order (hour, then name): sessions flow forward in time. */
function chronological(blobs: Iterable<PlannedBlob>): PlannedBlob[] {
  return [...blobs].sort((x, y) => {
    const [a, b] = [x.name, y.name];
    const ha = parseBlobPath(a).hourStart?.getTime() ?? 0;
    const hb = parseBlobPath(b).hourStart?.getTime() ?? 0;
    return ha - hb || (a < b ? -1 : a > b ? 1 : 0);
  });
}

export async function runShipping(plan: ShippingPlan, deps: ShippingDeps, clock: RunClock = runClock(Date.now(), deps.budgetMs, deps.uploadTimeoutMs)): Promise<ShippingSummary> {
  const started = performance.now();
  const deadline = clock.budgetEnd;
  const summary: ShippingSummary = {
    servers: plan.size, busyServers: [], notStarted: [], blobs: [], ranges: [], stats: emptyStats(), shipped: 0, deadLettered: 0, lateBytes: 0,
    requests: 0, acceptedRequests: 0, acceptedBytes: 0, errors: [], notices: [], stoppedBy: null, budgetSpent: false, durationMs: 0,
  };
  const before = { ...deps.sink.counters };
  const queue = [...plan.entries()];
  const shipServer = async (serverPath: string, blobs: ReadonlyMap<string, PlannedBlob>): Promise<void> => {
    const lease = await deps.store.acquire(serverPath);
    if (!lease) {
      summary.busyServers.push(serverPath);
      deps.log(`${serverPath}: another worker owns this server right now; skipped`);
      return;
    }
    try {
      for (const n of lease.notices) deps.log(`${serverPath}: ${n.message}`);
      const pipeline = new AuditPipeline(deps.pipelineOptions, lease.sessions ? { sessions: lease.sessions } : undefined);
      const onRange = (r: RangeReport): void => void summary.ranges.push({ ...r, server: serverPath });
      for (const blob of chronological(blobs.values())) {
        if (summary.stoppedBy || summary.budgetSpent) break;
        const r = await shipBlob(blob, lease, pipeline, deps, { clock, onRange });
        summary.blobs.push(r);
        if (r.stats) addStats(summary.stats, r.stats);
        summary.shipped += r.shipped;
        summary.deadLettered += r.deadLettered;
        summary.lateBytes += r.lateBytes;
        if (r.budgetSpent) summary.budgetSpent = true;
        deps.onBlob?.(r);
      }
    } finally {
      summary.notices.push(...lease.notices.map((n) => ({ ...n, server: serverPath })));
      await lease.release();
    }
  };
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const [serverPath, blobs] = item;
      if (summary.stoppedBy || summary.budgetSpent || (deadline !== null && Date.now() >= deadline)) {
        summary.budgetSpent ||= !summary.stoppedBy;
        summary.notStarted.push(serverPath);
        continue;
      }
      try {
        await shipServer(serverPath, blobs);
      } catch (err) {
        const e = runErrorOf(serverPath, err);
        summary.errors.push(e);
        deps.log(`${serverPath}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
        if (err instanceof IngestionError) summary.stoppedBy ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.concurrency, plan.size)) }, worker));
  summary.requests = deps.sink.counters.requests - before.requests;
  summary.acceptedRequests = deps.sink.counters.acceptedRequests - before.acceptedRequests;
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
