// A large blob range is split and decoded in a worker thread while shipping (src/ship/decode-
// stream.ts). The batches, rows, counters and the result (where reading stopped, what was held
// back) must be exactly those of chunkRows in one thread, wherever the download's chunks break,
// from any start offset, for a blob that may still grow (a cut last line waits) and a final one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditPipeline } from '../../src/pipeline/audit-pipeline.js';
import { chunkRows, type ChunkRowsResult, type RowBatch } from '../../src/pipeline/chunk-rows.js';
import { threadedChunkRows } from '../../src/ship/decode-stream.js';
import { goodLine, junkLine } from '../helpers/hostile-lines.js';

const MAX_LINE_BYTES = 3000;

async function drain(g: AsyncGenerator<RowBatch, ChunkRowsResult>): Promise<{ batches: RowBatch[]; result: ChunkRowsResult }> {
  const batches: RowBatch[] = [];
  let n = await g.next();
  while (!n.done) {
    batches.push(n.value);
    n = await g.next();
  }
  return { batches, result: n.value };
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

describe('threadedChunkRows', () => {
  it('yields exactly chunkRows\' batches, rows, counters and result', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.nat(40).map((n) => goodLine(n)), junkLine, fc.nat(500).map((n) => 'x'.repeat(MAX_LINE_BYTES + n))), { minLength: 1, maxLength: 25 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        fc.boolean(),
        fc.nat(10_000),
        async (lines, at, final, cutLast, startOffset) => {
          let text = lines.join('\n') + '\n';
          if (cutLast) text += goodLine(77).slice(0, 40);
          const bytes = Buffer.from(text);
          const source = { blob: 'b.json', identity: '2026-07-02T03:00:00.000Z' };
          const one = new AuditPipeline();
          const expected = await drain(chunkRows(chunked(cuts(bytes, at)), one, { sourceBlob: source.blob, blobIdentity: source.identity, startOffset, final, maxLineBytes: MAX_LINE_BYTES }));
          const two = new AuditPipeline();
          const got = await drain(threadedChunkRows(chunked(cuts(bytes, at)), two, source, { startOffset, final, maxLineBytes: MAX_LINE_BYTES }));
          expect(got.result).toEqual(expected.result);
          expect(got.batches.flatMap((b) => b.rows)).toEqual(expected.batches.flatMap((b) => b.rows));
          expect(got.batches.map((b) => b.endOffset)).toEqual(expected.batches.map((b) => b.endOffset));
          expect(two.stats).toEqual(one.stats);
          expect(two.snapshot()).toEqual(one.snapshot());
        },
      ),
      { numRuns: 25 },
    );
  });

  it('stops its thread when the reader stops early (the run budget ended)', async () => {
    const bytes = Buffer.from(Array.from({ length: 200 }, (_, i) => goodLine(i)).join('\n') + '\n');
    const g = threadedChunkRows(chunked(cuts(bytes, [1000, 5000, 9000, 20_000])), new AuditPipeline(), { blob: 'b.json', identity: null }, { startOffset: 0, final: true, maxLineBytes: MAX_LINE_BYTES });
    const first = await g.next();
    expect(first.done).toBe(false);
    const ended = await g.return({ endOffset: 0, pendingBytes: 0 });
    expect(ended.done).toBe(true);
    expect((await g.next()).done).toBe(true);
  });
});
