// Ships one blob of a server from its checkpoint to its current length. Complete lines only
// while the blob can still grow; the checkpoint (offset + sessions, in one write) advances only
// after every row before it was accepted or dead-lettered. A crash between upload and
// checkpoint re-ships that range next time with the same RecordIds (removable in KQL).
import type { ContainerClient } from '@azure/storage-blob';
import type { AuditPipeline } from '../pipeline/audit-pipeline.js';
import { chunkRows } from '../pipeline/chunk-rows.js';
import type { PipelineStats } from '../pipeline/stats.js';
import type { PgAuditRow } from '../schema.js';
import { mayStillGrow, parseBlobPath } from '../state/blob-path.js';
import { statusOf } from '../state/read-text.js';
import type { BlobCheckpoint, ServerLease, StateStore } from '../state/state-store.js';
import type { DeadLetterStore } from './dead-letter-store.js';
import type { LogsIngestionSink } from './logs-ingestion-sink.js';

export interface ShipOptions {
  /** Upload when this many bytes of rows are pending (default 8 MB: full 1 MB requests). */
  readonly flushBytes: number;
  /** How long after its hour a blob may still grow (default 15 min). */
  readonly graceMs: number;
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
  readonly bytesBehind: number;
}

/** A rough JSON size of a row, to decide when to flush without serialising twice. */
function estimateBytes(row: PgAuditRow): number {
  return 900 + (row.Statement?.length ?? 0) + (row.Message?.length ?? 0) + (row.Detail?.length ?? 0) + (row.Parameter?.length ?? 0) * 2;
}

function freshCheckpoint(): BlobCheckpoint {
  return { offset: 0, length: 0, etag: null, createdOn: null, rows: 0, deadLettered: 0, updatedAt: new Date().toISOString() };
}

export async function shipBlob(name: string, lease: ServerLease, pipeline: AuditPipeline, deps: ShipDeps): Promise<BlobShipResult> {
  const started = performance.now();
  const result = (status: BlobShipResult['status'], rest: Partial<BlobShipResult> = {}): BlobShipResult => ({
    blob: name, range: { start: 0, end: 0 }, status, stats: null, shipped: 0, deadLettered: 0, closed: false, bytesBehind: 0,
    durationMs: Math.round(performance.now() - started), ...rest,
  });
  if (!lease.state.blobs[name] && (await deps.store.readDone(name))) return result('already-done');

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
  let cp = lease.state.blobs[name] ?? freshCheckpoint();
  if (cp.createdOn !== null && createdOn !== null && cp.createdOn !== createdOn) {
    deps.log(`${name} was replaced (created ${createdOn}, was ${cp.createdOn}); reading it from the start`);
    cp = freshCheckpoint();
  }
  const open = mayStillGrow(parseBlobPath(name), deps.options.now(), deps.options.graceMs);
  const start = cp.offset;
  const base = { rows: cp.rows, deadLettered: cp.deadLettered };
  pipeline.takeStats();

  let shipped = 0;
  let deadLettered = 0;
  let pending: PgAuditRow[] = [];
  let pendingBytes = 0;
  let pendingFrom = start;

  /** Uploads what is pending, then records offset + sessions in one write. */
  const checkpoint = async (endOffset: number): Promise<void> => {
    lease.assertOwned();
    if (pending.length > 0) {
      const sent = await deps.sink.send(pending);
      shipped += sent.accepted;
      for (const f of sent.failed) {
        const range = { start: pendingFrom, end: endOffset };
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
    lease.state.sessions = pipeline.snapshot();
    await lease.save();
    deps.options.onCheckpoint?.(name, endOffset, length);
    pending = [];
    pendingBytes = 0;
    pendingFrom = endOffset;
  };

  let heldBack = 0;
  if (length > start) {
    const body = (await blob.download(start, length - start, { maxRetryRequests: 5 })).readableStreamBody;
    const batches = chunkRows((body ?? []) as AsyncIterable<Buffer>, pipeline, { sourceBlob: name, startOffset: start, final: !open });
    let next = await batches.next();
    while (!next.done) {
      for (const row of next.value.rows) {
        pending.push(row);
        pendingBytes += estimateBytes(row);
      }
      if (pendingBytes >= deps.options.flushBytes) await checkpoint(next.value.endOffset);
      next = await batches.next();
    }
    heldBack = next.value.pendingBytes;
    await checkpoint(next.value.endOffset);
  } else if (!lease.state.blobs[name]) {
    await checkpoint(start); // start tracking a new (still empty) blob
  }
  const stats = pipeline.takeStats();

  // A blob past its hour and grace period, read to the end, is done: it will not grow again.
  let closed = false;
  if (!open && heldBack === 0 && cp.offset >= length) {
    await deps.store.writeDone(name, cp);
    delete lease.state.blobs[name];
    await lease.save();
    closed = true;
  }
  const changed = cp.offset !== start || shipped + deadLettered > 0 || closed;
  return result(changed ? 'shipped' : 'up-to-date', {
    range: { start, end: cp.offset }, stats, shipped, deadLettered, closed, bytesBehind: length - cp.offset,
  });
}
