// Main-thread side of the decode worker (decode-worker.ts): queue the files at start, then
// receive each file's lines decoded and packed, in order. Used by `parse` for files (not stdin)
// when the input is large enough to repay a thread's start-up.
import { on } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { PackedLines } from '../read/packed-lines.js';
import { workerScript } from '../threads/worker-script.js';

export type ToWorker = { type: 'open'; path: string; maxLineBytes: number } | { type: 'ack' };

export interface PackedBatch {
  readonly type: 'batch' | 'end';
  readonly packed: PackedLines;
  /** Input bytes this batch consumed (after gunzip), for progress. */
  readonly bytes: number;
  /** Offset just past the last complete line so far. */
  readonly endOffset: number;
}

export type FromWorker = PackedBatch | { type: 'error'; code: string | null; message: string };

export class DecodeThread {
  // The worker's objects die young (a line's JSON lives until it is packed and posted), so a
  // small heap is enough; old space must still hold one line at the 8 MiB cap several times over
  // (text, parsed record, packed copy). Unlimited, V8 grows it lazily and peak RSS rises
  // (docs/performance.md).
  private readonly worker = new Worker(workerScript('decode-worker.js', import.meta.url, 'src/cli'), { resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 } });
  private readonly messages = on(this.worker, 'message', { close: ['exit'] })[Symbol.asyncIterator]();
  private readonly queued: string[];

  /**
   * Starts the thread and queues every file at once: the worker starts reading as soon as it
   * is up, so the first batches are waiting when the main thread asks for them.
   */
  constructor(paths: readonly string[], maxLineBytes: number) {
    this.queued = [...paths];
    for (const path of paths) this.send({ type: 'open', path, maxLineBytes });
  }

  /**
   * The decoded lines of the next queued file (`path`, named to catch a caller that skips one),
   * batch by batch; throws the worker's read error (with its code).
   */
  async *file(path: string): AsyncGenerator<PackedBatch> {
    const expected = this.queued.shift();
    if (path !== expected) throw new Error(`decode thread: asked for ${path}, next queued file is ${expected ?? '(none)'}`);
    for (;;) {
      const next = await this.messages.next();
      if (next.done) throw new Error('the decode worker stopped unexpectedly');
      const m = (next.value as [FromWorker])[0];
      if (m.type === 'error') throw Object.assign(new Error(m.message), { code: m.code ?? undefined });
      this.send({ type: 'ack' });
      yield m;
      if (m.type === 'end') return;
    }
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private send(m: ToWorker): void {
    this.worker.postMessage(m);
  }
}
