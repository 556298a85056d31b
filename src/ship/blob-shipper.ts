// Ships one blob of a server from its checkpoint to its current length (docs/design.md
// "Delivery"). Complete lines only while the blob can still grow; the checkpoint (offsets, and the
// session snapshot they belong to) advances only after every row before it was accepted or
// dead-lettered. A crash between upload and checkpoint re-ships that range next time with the same
// RecordIds (removable in KQL). An upload that stops the run (IngestionError) leaves the
// checkpoint where it was.
import type { ContainerClient } from '@azure/storage-blob';
import type { AuditPipeline } from '../pipeline/audit-pipeline.js';
import { chunkRows } from '../pipeline/chunk-rows.js';
import type { PipelineStats } from '../pipeline/stats.js';
import type { PgAuditRow } from '../schema.js';
import { mayStillGrow, parseBlobPath } from '../state/blob-path.js';
import { checkpointOfMarker, type BlobCheckpoint, type BlobMarker } from '../state/documents.js';
import { statusOf } from '../state/read-text.js';
import type { ServerLease } from '../state/server-lease.js';
import type { StateStore } from '../state/state-store.js';
import type { DeadLetterStore } from './dead-letter-store.js';
import type { LogsIngestionSink } from './logs-ingestion-sink.js';

export interface ShipOptions {
  /** Upload when this many bytes of rows are pending. */
  readonly flushBytes: number;
  /** How long after its hour a blob may still grow. */
  readonly lookbackMs: number;
  readonly now: () => Date;
  /** Test hook: called after an upload and before its checkpoint is written. */
  readonly afterUpload?: (blob: string, endOffset: number) => Promise<void> | void;
  /** Progress: called after each checkpoint of a blob with the bytes done and its length. */
  readonly onCheckpoint?: (blob: string, offset: number, length: number) => void;
}

export interface ShipDeps {
  readonly source: ContainerClient;
  readonly store: StateStore;
  readonly sink: LogsIngestionSink;
  readonly deadLetters: DeadLetterStore;
  readonly options: ShipOptions;
  readonly log: (message: string) => void;
}

export interface BlobShipResult {
  readonly blob: string;
  readonly range: { readonly start: number; readonly end: number };
  readonly status: 'shipped' | 'up-to-date' | 'missing' | 'already-done';
  readonly stats: PipelineStats | null;
  readonly shipped: number;
  readonly deadLettered: number;
  readonly closed: boolean;
  readonly durationMs: number;
  readonly length: number;
  readonly bytesBehind: number;
  /** The run's time budget ended while this blob was read; the rest waits for the next run. */
  readonly budgetSpent: boolean;
}

/** A rough JSON size of a row, to decide when to flush without serialising twice. */
function estimateBytes(row: PgAuditRow): number {
  return 900 + (row.Statement?.length ?? 0) + (row.Message?.length ?? 0) + (row.Detail?.length ?? 0) + (row.Parameter?.length ?? 0) * 2;
}

function freshCheckpoint(): BlobCheckpoint {
  return { offset: 0, length: 0, etag: null, createdOn: null, rows: 0, deadLettered: 0, updatedAt: new Date().toISOString() };
}

/**
 * Where to start a blob that has no checkpoint in the server document: its marker says whether
 * it was shipped before (done: from the done offset if it grew since; tracking: the checkpoint
 * was lost, announced, and the blob re-read from 0).
 */
function startFromMarker(name: string, marker: BlobMarker | null, createdOn: string | null, lease: ServerLease, log: (m: string) => void): BlobCheckpoint {
  if (!marker) return freshCheckpoint();
  if (marker.createdOn !== null && createdOn !== null && marker.createdOn !== createdOn) {
    log(`${name} was replaced (created ${createdOn}, was ${marker.createdOn}); reading it from the start`);
    return freshCheckpoint();
  }
  if (marker.state === 'done') return checkpointOfMarker(marker);
  const notice = { code: 'CheckpointLost', message: `the checkpoint of ${name} is missing from ${lease.docName} although its marker shows it was being shipped (offset ${marker.offset}); re-reading it from offset 0 (the duplicates carry the same RecordId and PgAudit() removes them)` } as const;
  lease.notices.push(notice);
  log(notice.message);
  return freshCheckpoint();
}

export async function shipBlob(name: string, lease: ServerLease, pipeline: AuditPipeline, deps: ShipDeps, deadline: number | null): Promise<BlobShipResult> {
  const started = performance.now();
  const result = (status: BlobShipResult['status'], rest: Partial<BlobShipResult> = {}): BlobShipResult => ({
    blob: name, range: { start: 0, end: 0 }, status, stats: null, shipped: 0, deadLettered: 0, closed: false, length: 0, bytesBehind: 0, budgetSpent: false,
    durationMs: Math.round(performance.now() - started), ...rest,
  });
  const blob = deps.source.getBlobClient(name);
  let props;
  try {
    props = await blob.getProperties();
  } catch (err) {
    if (statusOf(err) === 404) return result('missing');
    throw err;
  }
  const length = props.contentLength ?? 0;
  const createdOn = props.createdOn?.toISOString() ?? null;
  const tracked = lease.state.blobs[name];
  const marker = tracked ? null : await deps.store.readMarker(name);
  let cp = tracked ?? startFromMarker(name, marker, createdOn, lease, deps.log);
  if (tracked && tracked.createdOn !== null && createdOn !== null && tracked.createdOn !== createdOn) {
    deps.log(`${name} was replaced (created ${createdOn}, was ${tracked.createdOn}); reading it from the start`);
    cp = freshCheckpoint();
  }
  if (marker?.state === 'done' && cp.offset === marker.offset && length <= cp.offset) return result('already-done', { length, range: { start: cp.offset, end: cp.offset } });
  if (marker?.state === 'done' && cp.offset === marker.offset) deps.log(`${name} grew after it was done (${length - cp.offset} byte(s) from offset ${cp.offset}); shipping the growth`);

  const open = mayStillGrow(parseBlobPath(name), deps.options.now(), deps.options.lookbackMs);
  const start = cp.offset;
  const base = { rows: cp.rows, deadLettered: cp.deadLettered };
  let markerWritten = marker?.state === 'tracking' ? false : tracked !== undefined;
  pipeline.takeStats();

  let shipped = 0;
  let deadLettered = 0;
  let pending: PgAuditRow[] = [];
  let pendingBytes = 0;
  let pendingFrom = start;

  /** Uploads what is pending, then records offsets + sessions in one write. */
  const checkpoint = async (endOffset: number): Promise<void> => {
    lease.assertOwned();
    if (pending.length > 0) {
      const sent = await deps.sink.send(pending, { deadline });
      shipped += sent.accepted;
      for (const f of sent.failed) {
        // The source lines of exactly these rows: from the first one's line to the next row's.
        const range = { start: pending[f.from]?.SourceOffset ?? pendingFrom, end: pending[f.to]?.SourceOffset ?? endOffset };
        await deps.deadLetters.write(f.rows, { reason: f.reason, status: f.status ?? null, body: f.body, sourceBlob: name, range });
        deadLettered += f.rows.length;
        deps.log(`dead-lettered ${f.rows.length} row(s) of ${name} [${range.start}, ${range.end}): ${f.reason}`);
      }
      await deps.options.afterUpload?.(name, endOffset);
    }
    cp = {
      offset: endOffset, length, etag: props.etag ?? null, createdOn,
      rows: base.rows + shipped, deadLettered: base.deadLettered + deadLettered, updatedAt: new Date().toISOString(),
    };
    lease.state.blobs[name] = cp;
    await lease.save(pipeline.snapshot().sessions);
    // After the server document: a tracking marker without a checkpoint then always means a loss.
    if (!markerWritten) await deps.store.writeMarker({ version: 1, blob: name, state: 'tracking', ...cp });
    markerWritten = true;
    deps.options.onCheckpoint?.(name, endOffset, length);
    pending = [];
    pendingBytes = 0;
    pendingFrom = endOffset;
  };

  let heldBack = 0;
  let budgetSpent = false;
  if (length > start) {
    const body = (await blob.download(start, length - start, { maxRetryRequests: 5 })).readableStreamBody;
    const batches = chunkRows((body ?? []) as AsyncIterable<Buffer>, pipeline, { sourceBlob: name, startOffset: start, final: !open });
    try {
      let next = await batches.next();
      while (!next.done) {
        for (const row of next.value.rows) {
          pending.push(row);
          pendingBytes += estimateBytes(row);
        }
        if (pendingBytes >= deps.options.flushBytes) {
          await checkpoint(next.value.endOffset);
          if (deadline !== null && Date.now() >= deadline) {
            budgetSpent = true;
            break;
          }
        }
        next = await batches.next();
      }
      if (next.done) {
        heldBack = next.value.pendingBytes;
        await checkpoint(next.value.endOffset);
      }
    } finally {
      (body as { destroy?: () => void } | undefined)?.destroy?.(); // stop the download when the loop ended early
    }
  } else if (!tracked) {
    await checkpoint(start); // start tracking a new (still empty) blob
  }
  const stats = pipeline.takeStats();

  // A blob past its hour and grace period, read to the end, is done for now. Its marker keeps
  // the offset, so growth after this point is still found and shipped from there.
  let closed = false;
  if (!open && !budgetSpent && heldBack === 0 && cp.offset >= length) {
    await deps.store.writeMarker({ version: 1, blob: name, state: 'done', ...cp });
    delete lease.state.blobs[name];
    await lease.save(pipeline.snapshot().sessions);
    closed = true;
  }
  const changed = cp.offset !== start || shipped + deadLettered > 0 || closed;
  return result(changed ? 'shipped' : 'up-to-date', {
    range: { start, end: cp.offset }, stats, shipped, deadLettered, closed, length, bytesBehind: length - cp.offset, budgetSpent,
  });
}
