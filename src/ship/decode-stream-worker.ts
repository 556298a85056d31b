// Worker thread of a blob's shipping (decode-stream.ts): splits the downloaded bytes into lines
// and decodes the records (JSON.parse and record validation, the costliest stateless step) while
// the shipping thread runs the stateful pipeline, serialises and uploads. One worker per large
// blob range; it answers every chunk with exactly one batch, so the sender bounds what is queued.
import { parentPort, workerData } from 'node:worker_threads';
import { LineSplitter } from '../read/line-splitter.js';
import { packLines } from '../read/packed-lines.js';
import type { FromStreamWorker, StreamWorkerData, ToStreamWorker } from './decode-stream.js';

const port = parentPort;
if (!port) throw new Error('decode-stream-worker.js runs as a worker thread of the shipper');
const { startOffset, final, maxLineBytes } = workerData as StreamWorkerData;
const splitter = new LineSplitter(startOffset, maxLineBytes);

function post(m: FromStreamWorker): void {
  port!.postMessage(m);
}

port.on('message', (m: ToStreamWorker) => {
  try {
    if (m.type === 'chunk') {
      post({ type: 'batch', packed: packLines(splitter.push(Buffer.from(m.data))), endOffset: splitter.consumedOffset });
    } else {
      const last = splitter.end(final);
      post({ type: 'end', packed: last ? packLines([last]) : [], endOffset: splitter.consumedOffset, pendingBytes: splitter.pendingLength });
    }
  } catch (err) {
    post({ type: 'error', message: (err as Error).message });
  }
});
