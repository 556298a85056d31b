// The hand-written splitter against csv-parse, an independent RFC-4180 parser.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitCsvRecord } from '../../src/parse/csv-record.js';
import { csvRecords } from '../helpers/csv-oracle.js';

/** csv-parse's reading of one record, or null when it rejects the text. */
function oracle(text: string): string[] | null {
  try {
    const records = csvRecords(text, { relax_column_count: true, relax_quotes: false, skip_empty_lines: false });
    return records.length === 1 ? records[0]! : text === '' ? [''] : null;
  } catch {
    return null;
  }
}

/** pgAudit's append_valid_csv: quote when the value holds , " CR or LF; double the quotes. */
function pgauditEscape(value: string): string {
  return /[,"\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

describe('splitCsvRecord', () => {
  it.each([
    { name: 'plain fields', text: 'a,b,,c', want: ['a', 'b', '', 'c'] },
    { name: 'quoted comma', text: 'x,"a,b",y', want: ['x', 'a,b', 'y'] },
    { name: 'doubled quotes', text: '"say ""hi""",z', want: ['say "hi"', 'z'] },
    { name: 'multi-line quoted field', text: '"line 1\nline 2\r\nline 3",e', want: ['line 1\nline 2\r\nline 3', 'e'] },
    { name: 'trailing empty field', text: 'a,', want: ['a', ''] },
    { name: 'empty quoted field', text: '"",b', want: ['', 'b'] },
    { name: 'empty text', text: '', want: [''] },
    { name: 'quote inside an unquoted field is literal', text: 'a"b,c', want: ['a"b', 'c'] },
  ])('$name', ({ text, want }) => {
    expect(splitCsvRecord(text)).toEqual({ ok: true, fields: want });
  });

  it.each([
    { name: 'unterminated quote', text: 'a,"never closed', reason: /unterminated quoted field 2/ },
    { name: 'text after a closing quote', text: '"a"b,c', reason: /after closing quote of field 1/ },
  ])('rejects $name', ({ text, reason }) => {
    const r = splitCsvRecord(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('property: pgAudit-escaped fields split back to themselves and agree with csv-parse', () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r', '\t', 'é', '☃', '<', '>', '$', "'"), maxLength: 12 });
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 12 }), (fields) => {
        const text = fields.map(pgauditEscape).join(',');
        expect(splitCsvRecord(text)).toEqual({ ok: true, fields });
        expect(oracle(text)).toEqual(fields);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: on arbitrary text it never throws, and agrees with csv-parse whenever both accept', () => {
    // No bare newlines: csv-parse would read them as record separators, pgAudit never writes them.
    const text = fc.string({ unit: fc.constantFrom('a', ',', '"', ' ', 'b'), maxLength: 25 });
    let compared = 0;
    fc.assert(
      fc.property(text, (t) => {
        const mine = splitCsvRecord(t);
        const theirs = oracle(t);
        if (mine.ok && theirs !== null) {
          compared++;
          expect(mine.fields).toEqual(theirs);
        }
      }),
      { numRuns: 3000 },
    );
    expect(compared).toBeGreaterThan(300);
  });
});
