// Compares parser rows with the generator's truth rows (scripts/fixtures/truth.ts, from
// PostgreSQL's jsonlog), field by field, table-driven. Truth text is raw; the expectations of
// redaction and the statement cap are applied here:
// - redaction: every secret the truth row lists is replaced by <REDACTED>, quotes included when
//   it was an SQL literal ('secret' → <REDACTED>) — the built-in rules' exact behaviour for the
//   fixtures' secrets; Redacted is true exactly when the truth row holds a secret;
// - cap: Statement, Parameter(s), Message and Detail keep their first `cap` characters;
//   StatementLength is the redacted length and StatementTruncated true when it exceeds the cap
//   (both null otherwise: the row carries them only on cut statements);
// - slim rows (docs/design.md "The row contract"): SqlState 00000 is null, the flags are true or
//   null, the truth's ServerResourceId is not on the row (the run records carry it), EventTime is
//   the truth's event time only where Log Analytics would replace TimeGenerated (the rows are made
//   now; the fixtures are days old), RecordId is 22 base64url characters.
import { REDACTED } from '../../src/enrich/redact.js';
import type { PgAuditRow } from '../../src/schema.js';

import type { TruthRow } from '../../scripts/fixtures/truth.js';

export type { TruthRow };

export interface Mismatch {
  readonly style: string;
  readonly at: string;
  readonly field: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.replaceAll(`'${s}'`, REDACTED).replaceAll(s, REDACTED);
  return out;
}

const cut = (text: string, cap: number): string => (text.length > cap ? text.slice(0, cap) : text);

interface Ctx {
  readonly t: TruthRow;
  readonly cap: number;
  readonly secrets: readonly string[];
}

const text = (field: string) => (c: Ctx): unknown => {
  const v = c.t[field];
  return typeof v === 'string' ? cut(redactSecrets(v, c.secrets), c.cap) : (v ?? null);
};
const same = (field: string) => (c: Ctx): unknown => c.t[field] ?? null;
const redactedStatement = (c: Ctx): string | null => (typeof c.t.Statement === 'string' ? redactSecrets(c.t.Statement, c.secrets) : null);

type Rule = readonly [column: string, expected: (c: Ctx) => unknown];
const asIs = (...fields: string[]): Rule[] => fields.map((f): Rule => [f, same(f)]);

/** Column → expected value, for every row that is not a GAP. */
const ROW_RULES: readonly Rule[] = [
  ...asIs('TimeGenerated', 'EventType', 'ServerName', 'Severity', 'ProcessId', 'SessionId', 'SessionLine'),
  // Sent now: Log Analytics replaces a TimeGenerated older than 2 days; the row keeps it in EventTime from 36 h on.
  ['EventTime', (c) => (Date.now() - Date.parse(String(c.t.TimeGenerated)) > 36 * 3_600_000 ? (c.t.EventTime ?? null) : null)],
  ['SqlState', (c) => (c.t.SqlState === '00000' ? null : (c.t.SqlState ?? null))],
  ...asIs('UserName', 'DatabaseName', 'ApplicationName', 'ConnectApplicationName', 'ClientHost', 'ClientPort'),
  ...asIs('AuditType', 'StatementId', 'SubstatementId', 'Class', 'Command', 'ObjectType', 'ObjectName', 'Rows'),
  ['Statement', text('Statement')],
  ['StatementLength', (c) => { const s = redactedStatement(c); return s !== null && s.length > c.cap ? s.length : null; }],
  ['StatementTruncated', (c) => { const s = redactedStatement(c); return s !== null && s.length > c.cap ? true : null; }],
  ['Parameter', text('Parameter')],
  ['Parameters', (c) => (Array.isArray(c.t.Parameters) ? (c.t.Parameters as (string | null)[]).map((v) => (v === null ? null : cut(redactSecrets(v, c.secrets), c.cap))) : null)],
  ['Message', text('Message')],
  ['Detail', text('Detail')],
  ['Redacted', (c) => (c.secrets.length > 0 ? true : null)],
  // The real server's log is UTF-8 and no fixture row nears the row size limit.
  ['TruncatedColumns', () => null],
  ['InvalidUtf8', () => null],
  ['SourceBlob', same('SourceBlob')],
  ['SourceOffset', same('SourceOffset')],
];

/** What the truth knows of a GAP independently: whose session, where, and the missing ids. */
const GAP_RULES: readonly Rule[] = [
  ['EventType', same('EventType')],
  ['SessionId', same('SessionId')],
  ['ProcessId', same('ProcessId')],
  ['StatementId', (c) => c.t.gapFrom],
  ['SourceBlob', same('SourceBlob')],
  ['SourceOffset', same('SourceOffset')],
];

export function compareRow(style: string, t: TruthRow, row: PgAuditRow | undefined, cap: number): Mismatch[] {
  const at = `${t.SourceBlob}@${t.SourceOffset} ${t.EventType}`;
  if (!row) return [{ style, at, field: '(row)', expected: t.EventType, actual: 'missing' }];
  const actual = row as unknown as Record<string, unknown>;
  const ctx: Ctx = { t, cap, secrets: t.secrets ?? [] };
  const out: Mismatch[] = [];
  for (const [field, expect] of t.EventType === 'GAP' ? GAP_RULES : ROW_RULES) {
    const expected = expect(ctx);
    if (JSON.stringify(expected) !== JSON.stringify(actual[field] ?? null)) out.push({ style, at, field, expected, actual: actual[field] ?? null });
  }
  if (t.EventType === 'GAP') {
    const names = String(row.Message).includes(t.gapFrom === t.gapTo ? ` ${t.gapFrom} ` : `${t.gapFrom}..${t.gapTo}`);
    if (!names) out.push({ style, at, field: 'Message', expected: `names statement ids ${t.gapFrom}..${t.gapTo}`, actual: row.Message });
  }
  for (const s of ctx.secrets) {
    if (JSON.stringify(row).includes(s)) out.push({ style, at, field: '(any)', expected: `no secret ${s}`, actual: 'leaked' });
  }
  if (typeof row.RecordId !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(row.RecordId)) out.push({ style, at, field: 'RecordId', expected: '128 bits as 22 base64url characters', actual: row.RecordId });
  return out;
}

/** All mismatches of a style (rows in output order), plus a row-count mismatch. */
export function compareRows(style: string, truth: readonly TruthRow[], rows: readonly PgAuditRow[], cap: number): Mismatch[] {
  const out = truth.flatMap((t, i) => compareRow(style, t, rows[i], cap));
  if (rows.length !== truth.length) out.push({ style, at: '(all)', field: '(row count)', expected: truth.length, actual: rows.length });
  return out;
}

export function formatMismatches(list: readonly Mismatch[], limit = 20): string {
  const shown = list.slice(0, limit).map((m) => `  ${m.style} ${m.at} ${m.field}: expected ${JSON.stringify(m.expected)?.slice(0, 300)}, got ${JSON.stringify(m.actual)?.slice(0, 300)}`);
  return `${list.length} mismatch(es)${list.length > limit ? ` (first ${limit})` : ''}:\n${shown.join('\n')}`;
}
