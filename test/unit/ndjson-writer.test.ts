// The NDJSON encoder writes each row's JSON straight into one buffer; TextDecoder and JSON.parse
// (independent of that code) must read back exactly the rows, whatever characters they hold.
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeNdjson, NdjsonWriter } from '../../src/cli/ndjson-writer.js';
import { emptyRow, type PgAuditRow } from '../../src/schema.js';

function rowWith(statement: string, message: string | null = null): PgAuditRow {
  return { ...emptyRow(), EventType: 'AUDIT', Statement: statement, Message: message, StatementLength: statement.length };
}

function decode(buf: Buffer): unknown[] {
  const text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as unknown);
}

describe('encodeNdjson', () => {
  it.each([
    { name: 'ASCII', statement: 'SELECT 1' },
    { name: 'Latin-1 and CJK (one- and two-byte strings mixed in a batch)', statement: 'SELECT * FROM "tëst_表"' },
    { name: 'astral plane (surrogate pairs, 4 UTF-8 bytes)', statement: 'SELECT \u{1F418}\u{1F418}\u{1F418}' },
    { name: 'lone surrogate (escaped by JSON.stringify)', statement: 'broken \ud800 text' },
    { name: 'newlines, quotes, control characters', statement: 'a\nb\r\n"c"\t\u0001\\' },
    { name: 'empty string', statement: '' },
  ])('$name round-trips', ({ statement }) => {
    const rows = [rowWith('SELECT 0'), rowWith(statement, statement), rowWith('SELECT 2')];
    const buf = encodeNdjson(rows);
    expect(decode(buf)).toEqual(rows);
    expect(buf.toString('utf8')).toBe(rows.map((r) => JSON.stringify(r) + '\n').join(''));
  });

  it('any strings round-trip, one line per row', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary' }), fc.option(fc.string({ unit: 'grapheme' }))), { minLength: 1, maxLength: 20 }), (pairs) => {
        const rows = pairs.map(([s, m]) => rowWith(s, m));
        const lines = decode(encodeNdjson(rows));
        expect(lines).toHaveLength(rows.length);
        expect(lines).toEqual(JSON.parse(JSON.stringify(rows)));
      }),
    );
  });
});

describe('NdjsonWriter', () => {
  it('writes batches in order and waits for drain', async () => {
    const out = new PassThrough({ highWaterMark: 16 });
    const chunks: Buffer[] = [];
    const writer = new NdjsonWriter(out);
    const big = rowWith('x'.repeat(1000));
    const writing = (async () => {
      await writer.write([rowWith('first'), big]);
      await writer.write([]);
      await writer.write([rowWith('last')]);
      await writer.end();
    })();
    out.on('data', (c: Buffer) => chunks.push(c));
    await writing;
    const lines = decode(Buffer.concat(chunks)) as PgAuditRow[];
    expect(lines.map((r) => r.Statement)).toEqual(['first', big.Statement, 'last']);
  });
});
