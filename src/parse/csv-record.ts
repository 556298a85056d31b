// One RFC-4180 record (no record separator inside unquoted fields) → its fields.
//
// Why not a CSV library here: this runs once or twice per audit entry on the hot path, and the
// libraries measured are one to two orders of magnitude slower per record (docs/performance.md):
// a library would alone exceed the benchmark's whole budget. The tests check
// this splitter against csv-parse (an independent parser) on pgAudit's own regression output and
// on generated input.

export type CsvResult = { readonly ok: true; readonly fields: string[] } | { readonly ok: false; readonly reason: string };

const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * Splits `text` into fields. Quoted fields may hold commas, CR/LF and doubled quotes. A quote
 * inside an unquoted field is taken literally (pgAudit only quotes fields that need it, and
 * PostgreSQL's csv writers do the same), but an unterminated quoted field or text after a
 * closing quote is an error: it means the record was cut or is not CSV.
 */
export function splitCsvRecord(text: string): CsvResult {
  const fields: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) return { ok: false, reason: `unterminated quoted field ${fields.length + 1} (starts at character ${i})` };
        value += text.slice(from, q);
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return { ok: true, fields };
      if (text.charCodeAt(i) !== COMMA) {
        return { ok: false, reason: `unexpected character after closing quote of field ${fields.length} (character ${i})` };
      }
      i++;
    } else {
      const comma = text.indexOf(',', i);
      if (comma < 0) {
        fields.push(text.slice(i));
        return { ok: true, fields };
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}
