// Worker thread of `parse`: reads files, splits lines and decodes records (JSON.parse and
// record validation, the costliest stateless step) while the main thread runs the stateful
// pipeline and writes rows. Files are handled one at a time in the order asked; at most
// MAX_IN_FLIGHT batches (one 256 KiB read chunk of input each) wait unacknowledged, so memory
// stays bounded when the main thread or the writer is slower. Four keep the main thread from
// waiting on an ack's round trip plus a read; more gain nothing (docs/performance.md).
import { parentPort } from 'node:worker_threads';
import { LineSplitter } from '../read/line-splitter.js';
import { packLines } from '../read/packed-lines.js';
import type { FromWorker, ToWorker } from './decode-thread.js';
import { openFile } from './open-file.js';

const MAX_IN_FLIGHT = 4;

const port = parentPort;
if (!port) throw new Error('decode-worker.js runs as a worker thread of `pgaudit-ingest parse`');

let credits = MAX_IN_FLIGHT;
let wake: (() => void) | null = null;
const files: Array<Extract<ToWorker, { type: 'open' }>> = [];
let busy = false;

port.on('message', (m: ToWorker) => {
  if (m.type === 'ack') {
    credits++;
    wake?.();
    return;
  }
  files.push(m);
  if (!busy) void next();
});

function post(m: FromWorker): void {
  port!.postMessage(m);
}

async function credit(): Promise<void> {
  while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
  wake = null;
  credits--;
}

async function next(): Promise<void> {
  busy = true;
  for (let f = files.shift(); f; f = files.shift()) await decodeFile(f.path, f.maxLineBytes);
  busy = false;
}

async function decodeFile(path: string, maxLineBytes: number): Promise<void> {
  const splitter = new LineSplitter(0, maxLineBytes);
  try {
    for await (const chunk of openFile(path) as AsyncIterable<Buffer>) {
      const packed = packLines(splitter.push(chunk));
      await credit();
      post({ type: 'batch', packed, bytes: chunk.length, endOffset: splitter.consumedOffset });
    }
    const last = splitter.end(true);
    await credit();
    post({ type: 'end', packed: last ? packLines([last]) : [], bytes: 0, endOffset: splitter.consumedOffset });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    post({ type: 'error', code: e.code ?? null, message: e.message });
  }
}
