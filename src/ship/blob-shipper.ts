// Ships one blob of a server from its checkpoint to its length (docs/design.md "Delivery").
// Complete lines only while the blob is inside the lookback; the checkpoint (offsets, and the
// session snapshot they belong to) advances only after every row before it was accepted or
// dead-lettered, and each checkpoint is reported as a range (a run record). A crash between upload
// and checkpoint re-ships that range next time with the same RecordIds. An upload that stops the
// run (IngestionError) leaves the checkpoint where it was.
import type { ContainerClient } from '@azure/storage-blob';
import type { AuditPipeline } from '../pipeline/audit-pipeline.js';
import { DEFAULT_MAX_LINE_BYTES } from '../read/line-splitter.js';
import { addStats, emptyStats, type PipelineStats } from '../pipeline/stats.js';
import { parseBlobPath } from '../read/blob-path.js';
import { MARKER_VERSION, type BlobCheckpoint } from '../state/documents.js';
import { statusOf } from '../state/read-text.js';
import type { ServerLease } from '../state/server-lease.js';
import type { StateStore } from '../state/state-store.js';
import { startFromMarker } from './blob-start.js';
import type { DeadLetterStore } from './dead-letter-store.js';
import type { LogsIngestionSink } from './logs-ingestion-sink.js';
import { pastLookback, replaced, type PlannedBlob } from './plan.js';
import { inlineRangeFlushes, type RangeFlush } from './range-flushes.js';
import type { RunClock } from './run-clock.js';
import { threadedRangeFlushes } from './range-thread.js';
import { THREAD_MIN_BYTES } from '../threads/worker-script.js';

export interface ShipOptions {
  /** Upload when this many bytes of rows are pending. */
  readonly flushBytes: number;
  /** How long after its hour a blob is still checked for late appends (and a cut line waits). */
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

/** One checkpoint of one blob: what a `blob` run record reports. */
export interface RangeReport {
  readonly blob: string;
  readonly start: number;
  readonly end: number;
  readonly length: number;
  readonly shipped: number;
  readonly deadLettered: number;
  readonly stats: PipelineStats;
  /** Bytes of the range appended after the blob's hour had ended. */
  readonly lateBytes: number;
  readonly durationMs: number;
}

export interface BlobShipResult {
  readonly blob: string;
  readonly range: { readonly start: number; readonly end: number };
  readonly status: 'shipped' | 'up-to-date' | 'missing' | 'deleted' | 'already-done';
  readonly stats: PipelineStats | null;
  readonly shipped: number;
  readonly deadLettered: number;
  readonly closed: boolean;
  readonly durationMs: number;
  readonly length: number;
  readonly bytesBehind: number;
  readonly lateBytes: number;
  /** The run's time budget ended while this blob was read; the rest waits for the next run. */
  readonly budgetSpent: boolean;
}

/** Rows up to a checkpoint (range-flushes.ts), and when reading them began. */
type Flush = RangeFlush & { readonly started: number };

/** The blob's current length, creation and modification time; null when it is gone. */
async function current(deps: ShipDeps, blob: PlannedBlob): Promise<(PlannedBlob & { length: number }) | null> {
  if (blob.length !== null) return { ...blob, length: blob.length };
  try {
    const p = await deps.source.getBlobClient(blob.name).getProperties();
    return { name: blob.name, length: p.contentLength ?? 0, createdOn: p.createdOn?.toISOString() ?? null, lastModified: p.lastModified?.toISOString() ?? null };
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
}

/**
 * Where late bytes begin: fixed at the first read after the blob's hour ended — its length then
 * if it was last modified within its hour, else what had been shipped before (the rest came late).
 */
function settledLength(cp: BlobCheckpoint, blob: PlannedBlob & { length: number }, now: Date): number | null {
  if (cp.settledLength != null) return cp.settledLength;
  const hour = parseBlobPath(blob.name).hourStart;
  if (!hour || now.getTime() < hour.getTime() + 3_600_000) return null;
  const modified = blob.lastModified ? Date.parse(blob.lastModified) : Number.POSITIVE_INFINITY;
  return modified <= hour.getTime() + 3_600_000 ? blob.length : cp.offset;
}

export async function shipBlob(planned: PlannedBlob, lease: ServerLease, pipeline: AuditPipeline, deps: ShipDeps, run: { clock: RunClock; onRange?: (r: RangeReport) => void }): Promise<BlobShipResult> {
  const started = performance.now();
  const name = planned.name;
  const result = (status: BlobShipResult['status'], rest: Partial<BlobShipResult> = {}): BlobShipResult => ({
    blob: name, range: { start: 0, end: 0 }, status, stats: null, shipped: 0, deadLettered: 0, closed: false, length: 0, bytesBehind: 0, lateBytes: 0, budgetSpent: false,
    durationMs: Math.round(performance.now() - started), ...rest,
  });
  const tracked = lease.state.blobs[name];
  const blob = await current(deps, planned);
  if (!blob) {
    if (!tracked) return result('missing');
    const message = `${name} was deleted while it was tracked (shipped to offset ${tracked.offset} of ${tracked.length}); its checkpoint is removed`;
    lease.notices.push({ code: 'BlobDeleted', message });
    deps.log(message);
    await deps.store.writeMarker({ version: MARKER_VERSION, blob: name, state: 'deleted', ...tracked });
    delete lease.state.blobs[name];
    await lease.save(pipeline.snapshot().sessions);
    return result('deleted', { range: { start: tracked.offset, end: tracked.offset } });
  }
  const { length, createdOn } = blob;
  const marker = tracked ? null : await deps.store.readMarker(name);
  let cp = tracked ?? startFromMarker(name, marker, blob, lease, deps.log);
  if (tracked && replaced(tracked, blob)) {
    deps.log(`${name} was replaced (created ${createdOn}, ${length} bytes; was ${tracked.createdOn}, shipped to ${tracked.offset}); reading it from the start`);
    cp = startFromMarker(name, null, blob, lease, deps.log);
  }
  const resumesDone = marker?.state === 'done' && cp.offset === marker.offset;
  if (resumesDone && length <= cp.offset) return result('already-done', { length, range: { start: cp.offset, end: cp.offset } });
  if (resumesDone) deps.log(`${name} grew after it was done (${length - cp.offset} byte(s) from offset ${cp.offset}); shipping the growth`);

  const now = deps.options.now();
  const open = !pastLookback(name, now, deps.options.lookbackMs);
  const start = cp.offset;
  const settled = settledLength(cp, blob, now);
  const base = { rows: cp.rows, deadLettered: cp.deadLettered };
  let markerWritten = marker?.state === 'tracking' ? false : tracked !== undefined;
  const total = emptyStats();
  pipeline.takeStats();

  let shipped = 0;
  let deadLettered = 0;
  let lateBytes = 0;
  let rangeStarted = performance.now();
  const stamped = (f: RangeFlush): Flush => {
    const flush = { ...f, started: rangeStarted };
    rangeStarted = performance.now();
    return flush;
  };
  const nothing = (at: number): RangeFlush => ({ requests: [], rows: 0, from: at, end: at, sessions: pipeline.sessionsText(), stats: pipeline.takeStats() });

  /** Uploads one flush, then records offsets + sessions in one write, and reports the range. */
  const checkpoint = async (f: Flush): Promise<void> => {
    lease.assertOwned();
    const before = { shipped, deadLettered };
    if (f.rows > 0) {
      const sent = await deps.sink.sendRequests(f.requests, { deadline: run.clock.budgetEnd, endBy: run.clock.rowsEndBy });
      f.release?.(); // every attempt has ended: the bodies are not read again
      shipped += sent.accepted;
      for (const failed of sent.failed) {
        // The source lines of exactly these rows: from the first one's line to the next row's.
        const range = { start: failed.rows[0]?.offset ?? f.from, end: failed.nextOffset ?? f.end };
        await deps.deadLetters.write(failed.rows, { reason: failed.reason, status: failed.status ?? null, body: failed.body, sourceBlob: name, range });
        deadLettered += failed.rows.length;
        deps.log(`dead-lettered ${failed.rows.length} row(s) of ${name} [${range.start}, ${range.end}): ${failed.reason}`);
      }
      await deps.options.afterUpload?.(name, f.end);
    }
    cp = {
      offset: f.end, length, createdOn, settledLength: settled,
      rows: base.rows + shipped, deadLettered: base.deadLettered + deadLettered, updatedAt: new Date().toISOString(),
    };
    lease.state.blobs[name] = cp;
    await lease.save(f.sessions);
    // After the server document: a tracking marker without a checkpoint then always means a loss.
    if (!markerWritten) await deps.store.writeMarker({ version: MARKER_VERSION, blob: name, state: 'tracking', ...cp });
    markerWritten = true;
    addStats(total, f.stats);
    const late = settled === null ? 0 : Math.max(0, f.end - Math.max(f.from, settled));
    lateBytes += late;
    if (f.end > f.from || shipped + deadLettered > before.shipped + before.deadLettered) {
      run.onRange?.({ blob: name, start: f.from, end: f.end, length, shipped: shipped - before.shipped, deadLettered: deadLettered - before.deadLettered, stats: f.stats, lateBytes: late, durationMs: Math.round(performance.now() - f.started) });
    }
    deps.options.onCheckpoint?.(name, f.end, length);
  };

  // One flush is sent while the next is parsed: checkpoints stay in order (each waits for the one
  // before), and at most two flushes of rows are held. A flush that fails stops the loop at the
  // next flush or at the end, with its checkpoint (and every later one) not written.
  let inFlight: Promise<void> = Promise.resolve();
  const flush = async (f: RangeFlush): Promise<void> => {
    const next = stamped(f);
    await inFlight;
    inFlight = checkpoint(next);
    inFlight.catch(() => undefined); // awaited at the next flush or the end
  };

  let heldBack = 0;
  let budgetSpent = false;
  if (length > start) {
    const body = (await deps.source.getBlobClient(name).download(start, length - start, { maxRetryRequests: 5 })).readableStreamBody;
    const chunks = (body ?? []) as AsyncIterable<Buffer>;
    // A large range is read in a second thread (lines, records, rows, request bodies) while this
    // one downloads, uploads and writes checkpoints.
    const range = { source: { blob: name, identity: createdOn }, startOffset: start, final: !open, maxLineBytes: DEFAULT_MAX_LINE_BYTES, flushBytes: deps.options.flushBytes };
    const flushes = length - start >= THREAD_MIN_BYTES ? threadedRangeFlushes(chunks, pipeline, range) : inlineRangeFlushes(chunks, pipeline, range);
    try {
      let next = await flushes.next();
      while (!next.done) {
        await flush(next.value);
        if (run.clock.budgetEnd !== null && Date.now() >= run.clock.budgetEnd) {
          budgetSpent = true;
          break;
        }
        next = await flushes.next();
      }
      if (next.done) {
        heldBack = next.value.pendingBytes;
        await flush(next.value.flush);
      }
      await inFlight;
    } catch (err) {
      await inFlight.catch(() => undefined); // no checkpoint is written after the run ends
      throw err;
    } finally {
      (body as { destroy?: () => void } | undefined)?.destroy?.(); // stop the download when the loop ended early
      await flushes.return(undefined as never); // and the range's thread, if any (its end value is not read)
    }
  } else if (!tracked) {
    await checkpoint(stamped(nothing(start))); // start tracking a new (still empty) blob
  }

  // Past the lookback and read to the end, a blob is done for now. Its marker keeps the offset,
  // so growth after this point is still found (ship, backfill) and shipped from there.
  let closed = false;
  if (!open && !budgetSpent && heldBack === 0 && cp.offset >= length) {
    await deps.store.writeMarker({ version: MARKER_VERSION, blob: name, state: 'done', ...cp });
    delete lease.state.blobs[name];
    await lease.save(pipeline.snapshot().sessions);
    closed = true;
  }
  const changed = cp.offset !== start || shipped + deadLettered > 0 || closed;
  return result(changed ? 'shipped' : 'up-to-date', {
    range: { start, end: cp.offset }, stats: total, shipped, deadLettered, closed, length, bytesBehind: length - cp.offset, lateBytes, budgetSpent,
  });
}
