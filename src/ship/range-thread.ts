// A large blob range read in a worker thread (range-worker.ts): it splits lines, decodes them,
// runs the pipeline and builds the request bodies (range-flushes.ts); this thread only downloads,
// uploads and writes checkpoints. The download's chunks are gathered into pieces of 1 MiB and
// transferred (not copied); flushes come back with their request bodies transferred. Both kinds
// of memory go back where they came from once used (the worker answers a piece with the piece,
// the shipper releases a flush after its upload), so a range of any size reuses the same few
// buffers: memory that crossed threads is otherwise freed only by a garbage collection the
// receiving thread has no reason to run (peak RSS grew by the range's size). Flushes and their
// cut points are exactly those of inlineRangeFlushes: the same code cuts them, at line ends.
import { on } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { AuditPipeline } from '../pipeline/audit-pipeline.js';
import type { PipelineOptions } from '../pipeline/options.js';
import type { SessionTableSnapshot } from '../enrich/sessions.js';
import type { RangeEnd, RangeFlush, RangeOptions, RangeTail } from './range-flushes.js';
import { workerScript } from '../threads/worker-script.js';

/** Pieces handed over and not yet answered: enough to keep the worker busy, bounded in memory. */
const MAX_QUEUED_PIECES = 4;
/** Download chunks are small (tens of KiB); one message per piece of this size instead. */
const PIECE_BYTES = 1 << 20;

export interface RangeWorkerData {
  /** The pipeline's options but its clock (a function cannot cross threads; the worker uses its own, Date.now). */
  readonly pipeline: Omit<PipelineOptions, 'sendsAt'>;
  readonly sessions: SessionTableSnapshot;
  readonly range: RangeOptions;
}
/** This thread → the range worker: pieces of the range, its end, and request memory to reuse (not answered). */
export type ToRangeWorker = { type: 'piece'; data: ArrayBuffer; length: number } | { type: 'end' } | { type: 'reuse'; buffers: ArrayBuffer[] };
/** The range worker → this thread: one answer per piece (with the piece, to reuse) and one for the end. */
export type FromRangeWorker = { type: 'flushes'; flushes: RangeFlush[]; piece: ArrayBuffer } | ({ type: 'end' } & RangeTail) | { type: 'error'; message: string };

/** The request bodies of flushes: the memory that moves with them. */
export function requestBuffers(flushes: readonly RangeFlush[]): ArrayBuffer[] {
  return flushes.flatMap((f) => f.requests.map((r) => r.body.buffer as ArrayBuffer));
}


/** Gathers chunks into pieces of PIECE_BYTES, each with memory of its own (taken from `free` when it has some). */
async function* pieces(chunks: AsyncIterable<Uint8Array>, free: ArrayBuffer[]): AsyncGenerator<{ data: ArrayBuffer; length: number }> {
  const fresh = (): Uint8Array => new Uint8Array(free.pop() ?? new ArrayBuffer(PIECE_BYTES));
  let piece = fresh();
  let used = 0;
  for await (const chunk of chunks) {
    let at = 0;
    while (at < chunk.byteLength) {
      const n = Math.min(chunk.byteLength - at, PIECE_BYTES - used);
      piece.set(chunk.subarray(at, at + n), used);
      used += n;
      at += n;
      if (used === PIECE_BYTES) {
        yield { data: piece.buffer as ArrayBuffer, length: used };
        piece = fresh();
        used = 0;
      }
    }
  }
  if (used > 0) yield { data: piece.buffer as ArrayBuffer, length: used };
}

/**
 * inlineRangeFlushes with the reading in a worker thread: the same flushes and end, each with a
 * release() to call once its requests are sent. When the generator ends, early or not, the
 * pipeline's state is that of the last flush it gave.
 */
function withoutClock(o: PipelineOptions): Omit<PipelineOptions, 'sendsAt'> {
  const copy: Record<string, unknown> = { ...o };
  delete copy.sendsAt;
  return copy as unknown as Omit<PipelineOptions, 'sendsAt'>;
}

export async function* threadedRangeFlushes(chunks: AsyncIterable<Uint8Array>, pipeline: AuditPipeline, range: RangeOptions): AsyncGenerator<RangeFlush, RangeEnd> {
  const data: RangeWorkerData = { pipeline: withoutClock(pipeline.options), sessions: pipeline.snapshot().sessions, range };
  // Young objects (a line's text, record and row) die within the line; 32 MB of young space
  // keeps them from being promoted. Old space holds the session table (docs/performance.md).
  const worker = new Worker(workerScript('range-worker.js', import.meta.url, 'src/ship'), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 32, maxOldGenerationSizeMb: 256 } });
  const answers = on(worker, 'message', { close: ['exit'] })[Symbol.asyncIterator]();
  const free: ArrayBuffer[] = [];
  const input = pieces(chunks, free);
  const release = (f: RangeFlush) => (): void => {
    const buffers = requestBuffers([f]);
    if (buffers.length > 0) worker.postMessage({ type: 'reuse', buffers } satisfies ToRangeWorker, buffers);
  };
  let queued = 0;
  let inputDone = false;
  let last: RangeFlush | null = null;
  try {
    for (;;) {
      while (!inputDone && queued < MAX_QUEUED_PIECES) {
        const next = await input.next();
        if (next.done) {
          worker.postMessage({ type: 'end' } satisfies ToRangeWorker);
          inputDone = true;
        } else {
          worker.postMessage({ type: 'piece', ...next.value } satisfies ToRangeWorker, [next.value.data]);
        }
        queued++;
      }
      const answer = await answers.next();
      if (answer.done) throw new Error('the range worker stopped unexpectedly');
      const m = (answer.value as [FromRangeWorker])[0];
      queued--;
      if (m.type === 'error') throw new Error(`range worker: ${m.message}`);
      if (m.type === 'flushes') free.push(m.piece);
      for (const f of m.flushes) {
        last = f;
        yield { ...f, release: release(f) };
      }
      if (m.type === 'end') {
        last = m.end.flush;
        return m.end;
      }
    }
  } finally {
    await input.return(undefined);
    await worker.terminate();
    if (last) pipeline.restore(last.sessions);
  }
}
