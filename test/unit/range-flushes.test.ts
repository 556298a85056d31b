// A blob range is read inline (small ranges) or in a worker thread (src/ship/range-thread.ts).
// Both must give exactly the rows chunkRows gives, cut into the same flushes (offsets, session
// state, counters) and the same end, wherever the download's chunks break, from any start
// offset, for a blob that may still grow (a cut last line waits) and a final one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditPipeline } from '../../src/pipeline/audit-pipeline.js';
import { chunkRows, type ChunkRowsResult, type RowBatch } from '../../src/pipeline/chunk-rows.js';
import { inlineRangeFlushes, type RangeEnd, type RangeFlush } from '../../src/ship/range-flushes.js';
import { threadedRangeFlushes } from '../../src/ship/range-thread.js';
import { rowsOf } from '../../src/ship/request-body.js';
import { goodLine, junkLine } from '../helpers/hostile-lines.js';

const MAX_LINE_BYTES = 3000;

async function drain<T, R>(g: AsyncGenerator<T, R>): Promise<{ items: T[]; result: R }> {
  const items: T[] = [];
  let n = await g.next();
  while (!n.done) {
    items.push(n.value);
    n = await g.next();
  }
  return { items, result: n.value };
}

async function* chunked(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield await Promise.resolve(c);
}

const cuts = (bytes: Buffer, at: number[]): Buffer[] => {
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) out.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  return out;
};

/** What a flush carries, in plain data (the row texts as sent). */
const plain = (f: RangeFlush) => ({ rows: f.requests.flatMap((r) => rowsOf(r)), count: f.rows, from: f.from, end: f.end, sessions: f.sessions, stats: f.stats });
const flushesOf = ({ items, result }: { items: RangeFlush[]; result: RangeEnd }) => ({ flushes: [...items, result.flush].map(plain), pendingBytes: result.pendingBytes });

describe('range flushes', () => {
  it('inline and threaded: the same flushes and end, and exactly chunkRows\' rows', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.nat(40).map((n) => goodLine(n)), junkLine, fc.nat(500).map((n) => 'x'.repeat(MAX_LINE_BYTES + n))), { minLength: 1, maxLength: 25 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        fc.nat(10_000),
        fc.integer({ min: 1, max: 20_000 }),
        async (lines, at, final, cutLast, startOffset, flushBytes) => {
          let text = lines.join('\n') + '\n';
          if (cutLast) text += goodLine(77).slice(0, 40);
          const bytes = Buffer.from(text);
          const source = { blob: 'b.json', identity: '2026-07-02T03:00:00.000Z' };
          const range = { source, startOffset, final, maxLineBytes: MAX_LINE_BYTES, flushBytes };
          const reference = new AuditPipeline();
          const expected: { items: RowBatch[]; result: ChunkRowsResult } = await drain(chunkRows(chunked(cuts(bytes, at)), reference, { sourceBlob: source.blob, blobIdentity: source.identity, startOffset, final, maxLineBytes: MAX_LINE_BYTES }));
          const one = new AuditPipeline();
          const inline = flushesOf(await drain(inlineRangeFlushes(chunked(cuts(bytes, at)), one, range)));
          const two = new AuditPipeline();
          const threaded = flushesOf(await drain(threadedRangeFlushes(chunked(cuts(bytes, at)), two, range)));
          expect(threaded).toEqual(inline);
          expect(inline.flushes.flatMap((f) => f.rows.map((r) => JSON.parse(r.json) as unknown))).toEqual(expected.items.flatMap((b) => b.rows));
          expect(inline.flushes.at(-1)!.end).toBe(expected.result.endOffset);
          expect(inline.pendingBytes).toBe(expected.result.pendingBytes);
          // Flushes cover the range without gaps, and each ends at a line end chunkRows also reached.
          expect(inline.flushes.map((f) => f.from)).toEqual([startOffset, ...inline.flushes.slice(0, -1).map((f) => f.end)]);
          // The checkpoint's sessions are the pipeline's own, and the thread's pipeline is left at the end state.
          expect(JSON.parse(inline.flushes.at(-1)!.sessions.json)).toEqual(reference.snapshot().sessions);
          expect(two.snapshot()).toEqual(reference.snapshot());
        },
      ),
      { numRuns: 25 },
    );
  });

  it('sessionsText() is JSON.stringify of the snapshot, flush after flush (unchanged sessions are reused)', async () => {
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => goodLine(i)).join('\n') + '\n');
    const p = new AuditPipeline();
    const { items } = await drain(inlineRangeFlushes(chunked(cuts(bytes, [999, 5000, 20_000])), p, { source: { blob: 'b.json', identity: null }, startOffset: 0, final: true, maxLineBytes: MAX_LINE_BYTES, flushBytes: 2000 }));
    expect(items.length).toBeGreaterThan(3);
    const replay = new AuditPipeline();
    const { items: again } = await drain(inlineRangeFlushes(chunked([bytes]), replay, { source: { blob: 'b.json', identity: null }, startOffset: 0, final: true, maxLineBytes: MAX_LINE_BYTES, flushBytes: 2000 }));
    expect(again.map((f) => f.sessions)).toEqual(items.map((f) => f.sessions));
    expect(p.sessionsText().json).toBe(JSON.stringify(p.snapshot().sessions));
  });

  it('stops its thread when the reader stops early (the run budget ended), with the pipeline at the last flush', async () => {
    const bytes = Buffer.from(Array.from({ length: 200 }, (_, i) => goodLine(i)).join('\n') + '\n');
    const p = new AuditPipeline();
    const g = threadedRangeFlushes(chunked(cuts(bytes, [1000, 5000, 9000, 20_000])), p, { source: { blob: 'b.json', identity: null }, startOffset: 0, final: true, maxLineBytes: MAX_LINE_BYTES, flushBytes: 3000 });
    const first = await g.next();
    expect(first.done).toBe(false);
    const ended = await g.return(undefined as never);
    expect(ended.done).toBe(true);
    expect((await g.next()).done).toBe(true);
    expect(JSON.stringify(p.snapshot().sessions)).toBe((first.value as RangeFlush).sessions.json);
  });
});
