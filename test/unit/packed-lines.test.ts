// Lines decoded in parse's worker thread reach the pipeline packed (packLines) and structured-
// cloned. The rows and counters must be exactly those of decoding in the same thread, whatever
// the lines are and wherever the chunks break.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditPipeline } from '../../src/pipeline/audit-pipeline.js';
import { chunkRows, packedRows, type PackedLinesBatch } from '../../src/pipeline/chunk-rows.js';
import { LineSplitter } from '../../src/read/line-splitter.js';
import { packLines, unpackLines } from '../../src/read/packed-lines.js';
import type { PgAuditRow } from '../../src/schema.js';
import { azureLine, azureRecord } from '../helpers/azure-record.js';
import { goodLine, junkLine } from '../helpers/hostile-lines.js';

const MAX_LINE_BYTES = 3000;

/** Lines that take every path of the transport, and session state that must carry across. */
const line = fc.oneof(
  fc.nat(50).map((n) => goodLine(n)),
  junkLine,
  fc.nat(50).map((n) => azureLine({ message: `2026-07-02 03:00:06 UTC-6a45d439.${n.toString(16)}-LOG:  connection authorized: user=app database=db application_name=ä,x` })),
  fc.nat(50).map((n) => azureLine({ message: `2026-07-02 03:00:06 UTC-6a45d439.${n.toString(16)}-LOG:  AUDIT: SESSION,5,1,ROLE,ALTER ROLE,,,ALTER ROLE u PASSWORD 'pw',<none>`, detail: 'd' })),
  fc.constant(JSON.stringify({ records: [azureRecord({ message: '2026-07-02 03:00:06 UTC-1.1-ERROR:  boom' }), { category: 'Other' }, { category: 'PostgreSQLLogs', properties: 7 }] })),
  fc.constant('{"records":[' + JSON.stringify(azureRecord({ message: '2026-07-02 03:00:06 UTC-1.2-LOG:  disconnection: session time: 0:00:01.000 user=a database=b host=[local]' })) + ','),
  fc.constant(']}'),
  fc.constant('\ufeff' + goodLine(3)),
  fc.nat(2000).map((n) => 'x'.repeat(MAX_LINE_BYTES + n)), // cut at the line limit
);

async function inThread(bytes: Buffer, chunks: Buffer[]): Promise<{ rows: PgAuditRow[]; pipeline: AuditPipeline }> {
  const pipeline = new AuditPipeline();
  const rows: PgAuditRow[] = [];
  for await (const b of chunkRows(chunks, pipeline, { sourceBlob: 'b/PT1H.json', final: true, maxLineBytes: MAX_LINE_BYTES })) rows.push(...b.rows);
  return { rows, pipeline };
}

async function viaTransport(chunks: Buffer[]): Promise<{ rows: PgAuditRow[]; pipeline: AuditPipeline }> {
  const splitter = new LineSplitter(0, MAX_LINE_BYTES);
  const batches: PackedLinesBatch[] = chunks.map((c) => ({ packed: packLines(splitter.push(c)), endOffset: splitter.consumedOffset }));
  const last = splitter.end(true);
  if (last) batches.push({ packed: packLines([last]), endOffset: splitter.consumedOffset });
  const pipeline = new AuditPipeline();
  const rows: PgAuditRow[] = [];
  // structuredClone is what postMessage does to the batches.
  for await (const b of packedRows(structuredClone(batches), pipeline, 'b/PT1H.json')) rows.push(...b.rows);
  return { rows, pipeline };
}

function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  return chunks;
}

describe('packed lines (the decode worker transport)', () => {
  it('property: same rows and counters as decoding in the same thread', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), async (lines, crlf, at, lastNewline) => {
        const text = lines.join(crlf ? '\r\n' : '\n') + (lastNewline ? '\n' : '');
        const bytes = Buffer.from(text);
        const chunks = cut(bytes, at);
        const expected = await inThread(bytes, chunks);
        const actual = await viaTransport(chunks);
        expect(actual.rows).toEqual(expected.rows);
        expect(actual.pipeline.stats).toEqual(expected.pipeline.stats);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps line text only where the pipeline reads it (undecodable, invalid record, truncated)', () => {
    const lines = [goodLine(1), 'junk', JSON.stringify({ records: [{ category: 'PostgreSQLLogs' }] }), 'y'.repeat(20)].map((text, i) => ({ text, offset: i * 100, truncated: i === 3 }));
    const texts = [...unpackLines(packLines(lines))].map((d) => d.line.text);
    expect(texts).toEqual(['', 'junk', lines[2]!.text, lines[3]!.text]);
  });
});
