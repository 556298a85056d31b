// The parser against ground truth from a real PostgreSQL 15 + pgAudit (jsonlog), for every
// log_line_prefix style the generator wrote (scripts/fixtures/generate.ts): one pipeline per
// style reads the hourly blobs in order, so sessions carry across the boundary.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATEMENT_CAP } from '../../src/enrich/cap.js';
import { AuditPipeline } from '../../src/pipeline/audit-pipeline.js';
import type { PipelineStats } from '../../src/pipeline/stats.js';
import type { PgAuditRow } from '../../src/schema.js';
import { collect } from '../helpers/run-pipeline.js';
import { compareRows, formatMismatches, type TruthRow } from './check-rows.js';

const DIR = path.resolve(import.meta.dirname, '../fixtures/pg15');
const ROOT = path.resolve(import.meta.dirname, '../..');

interface StyleManifest {
  prefix: string;
  files: string[];
  records: number;
  droppedRecords: number;
  parserDrops: number;
  rows: Record<string, number>;
}
const manifest = JSON.parse(readFileSync(path.join(DIR, 'manifest.json'), 'utf8')) as { styles: Record<string, StyleManifest> };
const secrets = JSON.parse(readFileSync(path.join(DIR, 'secrets.json'), 'utf8')) as string[];
const styles = Object.entries(manifest.styles);

const truthOf = (name: string): TruthRow[] =>
  readFileSync(path.join(DIR, name, 'truth.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as TruthRow);

const parsed = new Map<string, Promise<{ rows: PgAuditRow[]; stats: PipelineStats }>>();
function parseStyle(name: string): Promise<{ rows: PgAuditRow[]; stats: PipelineStats }> {
  let p = parsed.get(name);
  if (!p) {
    p = (async () => {
      const style = manifest.styles[name]!;
      const pipeline = new AuditPipeline({ logLinePrefix: style.prefix });
      const rows: PgAuditRow[] = [];
      for (const f of style.files) rows.push(...(await collect(pipeline, readFileSync(path.join(DIR, f)), f)));
      return { rows, stats: pipeline.stats };
    })();
    parsed.set(name, p);
  }
  return p;
}

const count = (rows: readonly { EventType: unknown }[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of rows) out[String(r.EventType)] = (out[String(r.EventType)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
};

it('the manifest lists the six prefix styles and a legacy {"records":[…]} variant', () => {
  expect(Object.keys(manifest.styles).sort()).toEqual(['azure-default', 'debian', 'padded', 'pid-only', 'rds', 'rds-legacy', 'rich']);
});

describe.each(styles)('style %s', (name, style) => {
  it(`every row equals the jsonlog truth, field by field (${style.prefix})`, async () => {
    const { rows } = await parseStyle(name);
    const mismatches = compareRows(name, truthOf(name), rows, DEFAULT_STATEMENT_CAP);
    expect(mismatches, formatMismatches(mismatches)).toEqual([]);
  });

  it('every written record is one row or one counted drop; the prefix matches every line', async () => {
    const { rows, stats } = await parseStyle(name);
    expect(count(rows)).toEqual(style.rows);
    expect(stats.records).toBe(style.records);
    expect(stats.dropped).toBe(style.parserDrops);
    expect(stats.prefixMismatches).toBe(0);
    const kept = rows.filter((r) => r.EventType !== 'GAP');
    expect(kept.length + stats.dropped).toBe(style.records);
    // one row per record line: no line gave two rows
    expect(new Set(kept.map((r) => `${r.SourceBlob}@${r.SourceOffset}`)).size).toBe(kept.length);
    const gaps = truthOf(name).filter((t) => t.EventType === 'GAP');
    expect(stats.missingStatements).toBe(gaps.reduce((n, g) => n + g.gapTo! - g.gapFrom! + 1, 0));
    expect(gaps.length > 0).toBe(style.droppedRecords > 0);
  });
});

it('no secret from secrets.json appears anywhere in any row of any style', async () => {
  for (const [name] of styles) {
    const text = JSON.stringify((await parseStyle(name)).rows);
    for (const s of secrets) expect(text.includes(s), `${name}: secret ${s} leaked`).toBe(false);
  }
});

it('the legacy {"records":[…]} blobs give the rds rows (only where they come from differs)', async () => {
  const strip = (rows: PgAuditRow[]): unknown[] => rows.map(({ SourceBlob: _b, SourceOffset: _o, RecordId: _r, ...rest }) => rest);
  expect(strip((await parseStyle('rds-legacy')).rows)).toEqual(strip((await parseStyle('rds')).rows));
});

it('the fixtures cover what they promise', () => {
  const all = styles.flatMap(([name]) => truthOf(name).map((t) => ({ ...t, style: name })));
  const audit = all.filter((t) => t.EventType === 'AUDIT');
  const has = (what: string, pred: (t: TruthRow) => boolean, from: TruthRow[] = audit): void => expect(from.some(pred), what).toBe(true);
  has('OBJECT audit', (t) => t.AuditType === 'OBJECT');
  for (const c of ['READ', 'WRITE', 'FUNCTION', 'ROLE', 'DDL', 'MISC']) has(`class ${c}`, (t) => t.Class === c);
  has('ROWS (log_rows on)', (t) => typeof t.Rows === 'number');
  has('no ROWS (log_rows off)', (t) => t.Rows === null);
  has('a NULL parameter', (t) => Array.isArray(t.Parameters) && t.Parameters.includes(null));
  has('a parameter with a newline', (t) => Array.isArray(t.Parameters) && t.Parameters.some((v) => typeof v === 'string' && v.includes('\n')));
  has('<not logged>', (t) => t.Statement === '<not logged>');
  has('a multi-line statement', (t) => typeof t.Statement === 'string' && t.Statement.includes('\n'));
  has('a statement over the cap', (t) => typeof t.Statement === 'string' && t.Statement.length > DEFAULT_STATEMENT_CAP);
  has('substatements', (t) => Number(t.SubstatementId) > 1);
  has('secrets in statements', (t) => (t.secrets?.length ?? 0) > 0);
  has('secrets in parameters', (t) => typeof t.Parameter === 'string' && (t.secrets ?? []).some((s) => (t.Parameter as string).includes(s)));
  has('secrets in messages', (t) => typeof t.Message === 'string' && (t.secrets ?? []).some((s) => (t.Message as string).includes(s)), all);
  has('secrets in details', (t) => typeof t.Detail === 'string' && (t.secrets ?? []).some((s) => (t.Detail as string).includes(s)), all);
  for (const state of ['28P01', '28000']) has(`AUTH_FAILURE ${state}`, (t) => t.EventType === 'AUTH_FAILURE' && t.SqlState === state, all);
  has('an ERROR with DETAIL', (t) => t.EventType === 'ERROR' && t.Detail !== null, all);
  has('a multi-line ERROR message', (t) => t.EventType === 'ERROR' && String(t.Message).includes('\n'), all);
  has('a GAP', (t) => t.EventType === 'GAP', all);
  for (const [name] of styles) {
    const blobs = new Set(truthOf(name).filter((t) => t.EventType === 'AUDIT').map((t) => t.SourceBlob));
    expect(blobs.size, `${name}: audit rows in both hourly blobs`).toBe(2);
  }
  const renamed = (t: TruthRow): boolean => t.ApplicationName !== t.ConnectApplicationName && t.ConnectApplicationName !== null;
  for (const [name, style] of styles.filter(([, s]) => !s.prefix.includes('%a'))) {
    const truth = truthOf(name);
    const firstBlob = style.files[0]!;
    // A session renamed by an audited SET in the first blob, still renamed in the second.
    const set = truth.find((t) => t.SourceBlob === firstBlob && t.Command === 'SET' && renamed(t));
    expect(set, `${name}: a SET renaming a session in ${firstBlob}`).toBeDefined();
    const later = truth.filter((t) => t.SourceBlob !== firstBlob && t.ProcessId === set!.ProcessId && t.ConnectApplicationName === set!.ConnectApplicationName);
    expect(later.some((t) => t.ApplicationName === set!.ApplicationName), `${name}: the rename followed into the second blob`).toBe(true);
    for (const command of ['RESET', 'ROLLBACK', 'COMMIT', 'DISCARD ALL']) has(`${name}: ${command} rows`, (t) => t.Command === command, truth);
    has(`${name}: SET LOCAL followed inside a block`, (t) => /^SET LOCAL/.test(String(t.Statement)) && renamed(t), truth);
    has(`${name}: a name PostgreSQL cleaned`, (t) => String(t.ApplicationName).includes('?'), truth);
  }
});

it('the bundled sample is the azure-default fixture (both hours)', () => {
  const style = manifest.styles['azure-default']!;
  const blobs = style.files.map((f) => readFileSync(path.join(DIR, f), 'utf8')).join('');
  expect(readFileSync(path.join(ROOT, 'samples/pgaudit-flexible-PT1H.json'), 'utf8')).toBe(blobs);
});

it('the checker notices a wrong field, a leaked secret and a missed cap', async () => {
  const truth = truthOf('azure-default');
  const { rows } = await parseStyle('azure-default');
  const fields = (t: TruthRow, row: PgAuditRow): string[] => compareRows('x', [t], [row], DEFAULT_STATEMENT_CAP).map((m) => m.field);
  const at = (pred: (t: TruthRow) => boolean): number => truth.findIndex(pred);
  const secret = at((t) => t.EventType === 'AUDIT' && (t.secrets?.length ?? 0) > 0);
  const long = at((t) => typeof t.Statement === 'string' && t.Statement.length > DEFAULT_STATEMENT_CAP);
  const plain = at((t) => t.EventType === 'CONNECT');
  expect(fields(truth[plain]!, rows[plain]!)).toEqual([]);
  expect(fields(truth[plain]!, { ...rows[plain]!, UserName: 'someone' })).toEqual(['UserName']);
  expect(fields(truth[plain]!, { ...rows[plain]!, ConnectApplicationName: 'renamed' })).toEqual(['ConnectApplicationName']);
  const leaked = { ...rows[secret]!, Statement: truth[secret]!.Statement as string, Redacted: false };
  expect(fields(truth[secret]!, leaked)).toEqual(expect.arrayContaining(['Statement', 'Redacted', '(any)']));
  const uncapped = { ...rows[long]!, Statement: truth[long]!.Statement as string, StatementTruncated: false };
  expect(fields(truth[long]!, uncapped)).toEqual(['Statement', 'StatementTruncated']);
});
