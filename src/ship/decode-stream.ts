// Decoding a blob range in a second thread while this one builds, serialises and uploads rows:
// what `parse` does for files (src/cli/decode-thread.ts), for a download stream. The bytes are
// handed over chunk by chunk (transferred, not copied twice) and come back as decoded lines with
// the offset they end at; the rows are then made here, in order, exactly as chunkRows makes them.
import { on } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../package-root.js';
import type { AuditPipeline } from '../pipeline/audit-pipeline.js';
import type { LineSource } from '../pipeline/row-builder.js';
import type { ChunkRowsResult, RowBatch } from '../pipeline/chunk-rows.js';
import { unpackLines, type PackedLines } from '../read/packed-lines.js';
import type { PgAuditRow } from '../schema.js';

/** Below this many bytes a range is decoded inline: a thread's start-up (~40 ms) would not pay. */
export const THREAD_MIN_BYTES = 16_000_000;
/** Chunks handed over and not yet answered: enough to keep the worker busy, bounded in memory. */
const MAX_QUEUED_CHUNKS = 4;

export interface StreamWorkerData {
  readonly startOffset: number;
  readonly final: boolean;
  readonly maxLineBytes: number;
}
export type ToStreamWorker = { type: 'chunk'; data: ArrayBuffer } | { type: 'end' };
export type FromStreamWorker =
  | { type: 'batch'; packed: PackedLines; endOffset: number }
  | { type: 'end'; packed: PackedLines; endOffset: number; pendingBytes: number }
  | { type: 'error'; message: string };

/** The compiled worker: next to this module in dist/, or dist/ itself when running from src/ (tests). */
function workerPath(): string {
  const here = fileURLToPath(new URL('./decode-stream-worker.js', import.meta.url));
  return existsSync(here) ? here : join(packageRoot(), 'dist', 'src', 'ship', 'decode-stream-worker.js');
}

/** chunkRows with the splitting and decoding in a worker thread: the same batches and result. */
export async function* threadedChunkRows(chunks: AsyncIterable<Uint8Array>, pipeline: AuditPipeline, source: LineSource, data: StreamWorkerData): AsyncGenerator<RowBatch, ChunkRowsResult> {
  // The worker's objects die young; a small heap is enough (as parse's decode worker).
  const worker = new Worker(workerPath(), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 } });
  const answers = on(worker, 'message', { close: ['exit'] })[Symbol.asyncIterator]();
  const input = chunks[Symbol.asyncIterator]();
  let queued = 0;
  let inputDone = false;
  try {
    for (;;) {
      while (!inputDone && queued < MAX_QUEUED_CHUNKS) {
        const next = await input.next();
        if (next.done) {
          worker.postMessage({ type: 'end' } satisfies ToStreamWorker);
          inputDone = true;
        } else {
          // A chunk may share its memory with others (a pool): only a buffer that owns it all moves as is.
          const c = next.value;
          const whole = c.byteOffset === 0 && c.byteLength === c.buffer.byteLength;
          const data = (whole ? c.buffer : c.buffer.slice(c.byteOffset, c.byteOffset + c.byteLength)) as ArrayBuffer;
          worker.postMessage({ type: 'chunk', data } satisfies ToStreamWorker, [data]);
        }
        queued++;
      }
      const answer = await answers.next();
      if (answer.done) throw new Error('the decode worker stopped unexpectedly');
      const m = (answer.value as [FromStreamWorker])[0];
      queued--;
      if (m.type === 'error') throw new Error(`decode worker: ${m.message}`);
      const rows: PgAuditRow[] = [];
      for (const { line, decoded } of unpackLines(m.packed)) for (const row of pipeline.processDecoded(line, decoded, source)) rows.push(row);
      // As chunkRows: a batch per chunk, and one more only for a last line without a newline.
      if (m.type === 'batch' || m.packed.length > 0) yield { rows, endOffset: m.endOffset };
      if (m.type === 'end') return { endOffset: m.endOffset, pendingBytes: m.pendingBytes };
    }
  } finally {
    await input.return?.(undefined);
    await worker.terminate();
  }
}
