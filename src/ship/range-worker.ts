// Worker thread of a large blob range (range-thread.ts): its own pipeline, started from the
// shipping thread's sessions, turns the pieces it is sent into flushes of request bodies. It
// answers every piece with exactly one message (the piece goes back with it, to be reused), so
// the shipping thread bounds what is queued; request memory sent back is reused for new requests.
import { parentPort, workerData } from 'node:worker_threads';
import { AuditPipeline } from '../pipeline/audit-pipeline.js';
import { RangeFlushes } from './range-flushes.js';
import { requestBuffers, type FromRangeWorker, type RangeWorkerData, type ToRangeWorker } from './range-thread.js';

const port = parentPort;
if (!port) throw new Error('range-worker.js runs as a worker thread of the shipper');
const { pipeline, sessions, range: options } = workerData as RangeWorkerData;
const reusable: ArrayBuffer[] = [];
const range = new RangeFlushes(new AuditPipeline(pipeline, { sessions }), options, () => reusable.pop());

function post(m: FromRangeWorker): void {
  const moved = m.type === 'error' ? [] : requestBuffers(m.type === 'end' ? [...m.flushes, m.end.flush] : m.flushes);
  port!.postMessage(m, m.type === 'flushes' ? [...moved, m.piece] : moved);
}

port.on('message', (m: ToRangeWorker) => {
  try {
    if (m.type === 'reuse') {
      reusable.push(...m.buffers);
    } else if (m.type === 'piece') {
      // The line splitter copies what it keeps of the piece, so the piece can go back at once.
      post({ type: 'flushes', flushes: range.push(new Uint8Array(m.data, 0, m.length)), piece: m.data });
    } else {
      post({ type: 'end', ...range.end() });
    }
  } catch (err) {
    post({ type: 'error', message: (err as Error).message });
  }
});
