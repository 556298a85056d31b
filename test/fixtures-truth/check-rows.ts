// Compares parser rows with the generator's truth rows (from PostgreSQL's jsonlog), field by field.
import { REDACTED } from '../../src/enrich/redact.js';
import type { PgAuditRow } from '../../src/schema.js';

export interface TruthRow extends Record<string, unknown> {
  EventType: string;
  SourceBlob: string;
  SourceOffset: number;
  secrets?: string[];
  gapFrom?: number;
  gapTo?: number;
}

export interface Mismatch {
  readonly at: string;
  readonly field: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

const SKIP = new Set(['secrets', 'gapFrom', 'gapTo', 'Statement', 'Message', 'Detail', 'Parameter', 'Parameters']);
const TEXT = ['Statement', 'Message', 'Detail', 'Parameter'] as const;

/** The cap as the pipeline applies it: first `cap` characters, with the original length kept. */
function capped(text: string, cap: number): string {
  return text.length > cap ? text.slice(0, cap) : text;
}

export function compareRow(truth: TruthRow, row: PgAuditRow, cap: number): Mismatch[] {
  const at = `${truth.SourceBlob}@${truth.SourceOffset} ${truth.EventType}`;
  const out: Mismatch[] = [];
  const actual = row as unknown as Record<string, unknown>;
  const check = (field: string, expected: unknown, got: unknown): void => {
    if (JSON.stringify(expected) !== JSON.stringify(got)) out.push({ at, field, expected, actual: got });
  };
  for (const [field, expected] of Object.entries(truth)) if (!SKIP.has(field)) check(field, expected, actual[field]);
  if (truth.EventType === 'GAP') {
    const text = `${String(row.Message)}`;
    if (!text.includes(String(truth.gapFrom)) || !text.includes(String(truth.gapTo))) out.push({ at, field: 'Message', expected: `names ${truth.gapFrom}..${truth.gapTo}`, actual: text });
    return out;
  }
  const secrets = truth.secrets ?? [];
  for (const field of TEXT) {
    const expected = truth[field];
    if (expected === undefined) continue;
    const got = actual[field];
    if (typeof expected === 'string' && secrets.some((s) => expected.includes(s))) {
      // The secret must be gone, replaced by the marker; the rest of the text is the parser's business.
      for (const s of secrets) if (String(got).includes(s)) out.push({ at, field, expected: `no secret ${s}`, actual: got });
      if (!String(got).includes(REDACTED)) out.push({ at, field, expected: `contains ${REDACTED}`, actual: got });
      continue;
    }
    check(field, typeof expected === 'string' ? capped(expected, cap) : expected, got);
  }
  if (truth.Parameters !== undefined && !secrets.length) check('Parameters', truth.Parameters, row.Parameters);
  if (secrets.length) check('Redacted', true, row.Redacted);
  if (typeof truth.Statement === 'string') {
    check('StatementLength', secrets.length ? row.StatementLength : truth.Statement.length, row.StatementLength);
    check('StatementTruncated', !secrets.length && truth.Statement.length > cap ? true : row.StatementTruncated, row.StatementTruncated);
  }
  return out;
}
