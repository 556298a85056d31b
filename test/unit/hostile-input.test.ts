// Hostile input never crashes a run and never loses a good row.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goodLine as good, junkLine as junk } from '../helpers/hostile-lines.js';
import { rowsOf } from '../helpers/run-pipeline.js';

describe('hostile input', () => {
  it('property: good rows survive any junk around them, in order, with their offsets', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.nat(1000).map((n) => ({ good: n + 1 })), junk.map((j) => ({ junk: j }))), { maxLength: 40 }), fc.boolean(), async (items, crlf) => {
        const eol = crlf ? '\r\n' : '\n';
        const lines = items.map((it) => ('good' in it ? good(it.good) : it.junk));
        const text = lines.map((l) => l + eol).join('');
        const { rows, pipeline } = await rowsOf(text);
        const offsets: number[] = [];
        let at = 0;
        for (const l of lines) {
          offsets.push(at);
          at += Buffer.byteLength(l + eol);
        }
        const expected = items.flatMap((it, i) => ('good' in it ? [{ statement: `select ${it.good}, 'x'`, offset: offsets[i] }] : []));
        const audits = rows.filter((r) => r.EventType === 'AUDIT');
        expect(audits.map((r) => ({ statement: r.Statement, offset: r.SourceOffset }))).toEqual(expected);
        // Every line is accounted for: a row, a drop, or a blank line.
        const accounted = new Set(rows.map((r) => r.SourceOffset));
        expect(pipeline.stats.lines).toBe(lines.length);
        expect(rows.every((r) => r.EventType === 'AUDIT' || r.EventType === 'UNPARSED')).toBe(true);
        expect(accounted.size + pipeline.stats.blankLines + pipeline.stats.dropped).toBeGreaterThanOrEqual(lines.length);
      }),
      { numRuns: 200 },
    );
  });

  it('survives a NUL-filled and a huge line', async () => {
    const text = '\u0000'.repeat(5000) + '\n' + 'x'.repeat(3_000_000) + '\n' + good(7) + '\n';
    const { rows } = await rowsOf(text, {});
    expect(rows.map((r) => r.EventType)).toEqual(['UNPARSED', 'UNPARSED', 'AUDIT']);
    expect(rows[1]!.Message!.length).toBe(32_000);
  });
});
