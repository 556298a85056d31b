// Count once (issue 24): delivery is at least once, so a crash between upload and checkpoint sends
// rows again with the same RecordId. Every detection, alert and health alert must fire on the same
// rows twice exactly as it fires on them once: the same output rows, from the same input rows, and a
// threshold set just past what the rows did stays quiet when they arrive twice. The rules keep one
// row per RecordId (`summarize arg_max(TimeGenerated, *) by RecordId`) before they count; dcount()
// would be an estimate, and a rule that returns rows would return each twice.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- evaluated ARM JSON is untyped */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_COLUMNS } from '../../src/run-record-schema.js';
import { requireOrSkip } from '../helpers/tools.js';
import { bicepPath, deployMain, MISSING_BICEP, resourcesOfType } from '../infra/bicep.js';
import { CASES } from './cases.js';
import { FIXTURE_ROWS, type FixtureRow } from './fixture-rows.js';
import { KqlEval, type TRow, type Value } from './kql-eval.js';
import { caseQuery, END, KQL_DIR, runOver, setLets } from './run-rule.js';

const N = FIXTURE_ROWS.length;
const TWICE: readonly FixtureRow[] = [...FIXTURE_ROWS, ...FIXTURE_ROWS];

/** What a run returned, comparable between runs: each output row's values, and the input rows (mod the copy). */
export function outcome(rows: TRow[], n: number): { values: string[]; fired: number[] } {
  const norm = (v: Value): Value => (Array.isArray(v) ? v.map(norm).sort() : v);
  const values = rows.map((r) => JSON.stringify(Object.entries(r.values).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, norm(v)]))).sort();
  return { values, fired: [...new Set(rows.flatMap((r) => [...r.ids].map((i) => i % n)))].sort((a, b) => a - b) };
}

const letsOf = (values: Record<string, number> = {}): Record<string, string> => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));

describe.each(CASES)('detect-$rule counts each event once', (c) => {
  it('fires on the rows twice exactly as on the rows once', () => {
    const once = outcome(runOver(caseQuery(c), FIXTURE_ROWS), N);
    expect(once.fired.length, 'the rule fires on the fixtures').toBeGreaterThan(0);
    expect(outcome(runOver(caseQuery(c), TWICE), N)).toEqual(once);
  });

});

describe.each(CASES.filter((c) => c.quiet !== undefined))('detect-$rule threshold counts each event once', (c) => {
  it('a threshold just past what the attack did stays quiet when the rows arrive twice', () => {
    const lets = letsOf(c.quiet);
    const quiet = outcome(runOver(caseQuery(c, lets), FIXTURE_ROWS), N);
    expect(outcome(runOver(caseQuery(c, lets), TWICE), N)).toEqual(quiet);
  });
});

it('the check fails on a rule that counts raw rows (the test has teeth)', () => {
  const c = CASES.find((x) => x.rule === 'brute-force')!;
  const raw = caseQuery(c, letsOf(c.quiet)).replace(/^\s*\| summarize arg_max\(TimeGenerated, \*\) by RecordId.*$/m, '');
  expect(raw).not.toContain('by RecordId');
  expect(runOver(raw, FIXTURE_ROWS)).toEqual([]);
  expect(runOver(raw, TWICE).length).toBeGreaterThan(0);
});

it('every detection and every alert over PgAudit_CL keeps one row per RecordId (as often as it reads the table)', () => {
  const files = readdirSync(KQL_DIR).filter((f) => /^(detect|alert)-.*\.kql$/.test(f));
  expect(files.length).toBeGreaterThan(20);
  for (const f of files) {
    const body = readFileSync(path.join(KQL_DIR, f), 'utf8').replace(/\/\/.*$/gm, '');
    const reads = body.split('PgAudit_CL').length - 1;
    const dedups = body.match(/\| summarize arg_max\(TimeGenerated, \*\) by RecordId/g)?.length ?? 0;
    expect(dedups, f).toBeGreaterThanOrEqual(reads);
  }
});

// The original alerts on PgAudit_CL, with settings that make them fire on the fixtures.
const ALERTS: { file: string; lets: Record<string, string> }[] = [
  { file: 'alert-auth-failure-burst', lets: { Threshold: '2' } },
  { file: 'alert-ddl-outside-window', lets: { ChangeWindowStartHour: '0', ChangeWindowEndHour: '0' } },
  { file: 'alert-gaps', lets: {} },
  { file: 'alert-role-changes', lets: {} },
  { file: 'alert-sensitive-reads', lets: {} },
];

describe.each(ALERTS)('$file counts each event once', ({ file, lets }) => {
  it('fires on the rows twice exactly as on the rows once', () => {
    const kql = setLets(readFileSync(path.join(KQL_DIR, `${file}.kql`), 'utf8'), lets);
    const once = outcome(runOver(kql, FIXTURE_ROWS), N);
    if (file !== 'alert-gaps') expect(once.fired.length).toBeGreaterThan(0); // the real server lost no record
    expect(outcome(runOver(kql, TWICE), N)).toEqual(once);
  });
});

// Health alerts read the run records (PgAuditIngest_CL), which a retried run can write twice for one
// range. Each alert's decision per dimension, with its deployed condition, over records on either
// side of each boundary: a server whose blob grew with no row shipped, one that shipped, a lagging one.
const T0 = END - 10 * 60_000;
const RUN_DEFAULTS = Object.fromEntries(RUN_COLUMNS.map((c) => [c.name, c.type === 'string' ? '' : null])) as Record<string, Value>;
const run = (values: Record<string, Value>): Record<string, Value> => ({ ...RUN_DEFAULTS, TimeGenerated: T0, RunId: 'r1', ...values });
const RUN_RECORDS = [
  run({ RecordType: 'heartbeat', Trigger: 'sweep', BytesBehind: 0 }),
  run({ RecordType: 'heartbeat', Trigger: 'queue', ServerName: 'lagging', BytesBehind: 200_000_000, BlobsChecked: 1 }),
  run({ RecordType: 'heartbeat', Trigger: 'queue', ServerName: 'fine', BytesBehind: 10, BlobsChecked: 1 }),
  run({ RecordType: 'blob', Trigger: 'queue', ServerName: 'silent', SourceBlob: 'a/PT1H.json', StartOffset: 0, EndOffset: 500, RowsShipped: 0, RowsDeadLettered: 0, RowsFiltered: 0, RowsDropped: 4 }),
  run({ RecordType: 'blob', Trigger: 'queue', ServerName: 'fine', SourceBlob: 'b/PT1H.json', StartOffset: 0, EndOffset: 900, RowsShipped: 7, RowsDeadLettered: 0, RowsFiltered: 0, RowsDropped: 0 }),
  run({ RecordType: 'blob', Trigger: 'queue', ServerName: 'refused', SourceBlob: 'c/PT1H.json', StartOffset: 0, EndOffset: 300, RowsShipped: 0, RowsDeadLettered: 2, RowsFiltered: 0, RowsDropped: 0 }),
  run({ RecordType: 'error', Trigger: 'queue', ServerName: 'fine', ErrorCode: 'CheckpointLost', ErrorMessage: 'x' }),
];

interface Condition {
  query: string;
  timeAggregation: string;
  metricMeasureColumn?: string;
  operator: string;
  threshold: number;
  dimensions: { name: string }[];
}

/** The dimension values an Azure Monitor log alert fires for: rows grouped by its dimensions, measured, compared. */
function firingDimensions(cond: Condition, rows: TRow[]): string[] {
  const groups = new Map<string, TRow[]>();
  for (const r of rows) {
    const key = JSON.stringify(cond.dimensions.map((d) => r.values[d.name] ?? null));
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const measure = (g: TRow[]): number => {
    const values = g.map((r) => Number(r.values[cond.metricMeasureColumn!]));
    if (cond.timeAggregation === 'Count') return g.length;
    if (cond.timeAggregation === 'Total') return values.reduce((a, b) => a + b, 0);
    if (cond.timeAggregation === 'Minimum') return Math.min(...values);
    if (cond.timeAggregation === 'Maximum') return Math.max(...values);
    throw new Error(`aggregation ${cond.timeAggregation}`);
  };
  const fires = (v: number): boolean => {
    if (cond.operator === 'GreaterThan') return v > cond.threshold;
    if (cond.operator === 'LessThan') return v < cond.threshold;
    throw new Error(`operator ${cond.operator}`);
  };
  return [...groups.entries()].filter(([, g]) => fires(measure(g))).map(([k]) => k).sort();
}

it('every health log alert decides the same on its run records twice as once', (ctx) => {
  requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
  const rules = resourcesOfType(deployMain(), 'Microsoft.Insights/scheduledQueryRules').filter((r) => r.path.includes('health-alerts'));
  expect(rules.length).toBeGreaterThanOrEqual(5);
  const over = (records: Record<string, Value>[], kql: string): TRow[] =>
    new KqlEval({ tables: { PgAuditIngest_CL: records.map((values, i) => ({ values, ids: new Set([i]) })), PgAudit_CL: [] }, now: END }).run(kql);
  let firing = 0;
  for (const r of rules) {
    const cond = r.properties.criteria.allOf[0] as Condition;
    const once = firingDimensions(cond, over(RUN_RECORDS, cond.query));
    firing += once.length;
    expect(firingDimensions(cond, over([...RUN_RECORDS, ...RUN_RECORDS], cond.query)), String(r.name)).toEqual(once);
  }
  expect(firing, 'the records fire some of the rules').toBeGreaterThan(2);
});
/* eslint-enable */

// The workbook's panels over PgAudit_CL, with its parameters filled in ("all servers", one-hour
// bins). Ordering and cutting (top, order by, take) select among the counted rows and are left
// out; "detections fired" reads the detection functions, which are the rules above.
const WORKBOOK = JSON.parse(readFileSync(path.join(KQL_DIR, '../workbooks/pgaudit.workbook.json'), 'utf8')) as { items: WorkbookItem[] };
interface WorkbookItem { name: string; type: number; content: { query?: string; items?: WorkbookItem[] } }
const allItems = (items: WorkbookItem[]): WorkbookItem[] => items.flatMap((i) => [i, ...allItems(i.content.items ?? [])]);
const PANELS = allItems(WORKBOOK.items).filter((i) => i.type === 3 && String(i.content.query).startsWith('PgAudit_CL\n'));

describe.each(PANELS.map((p) => ({ name: p.name, query: String(p.content.query) })))('workbook panel $name counts each event once', ({ query }) => {
  it('shows the same on the rows twice as on the rows once', () => {
    const kql = query
      .replace(/\{Server\}/g, "'*'")
      .replace(/\{TimeRange:grain\}/g, '1h')
      .split('\n')
      .filter((l) => !/^\| (top \d+ by|order by|take) /.test(l))
      .join('\n');
    const once = outcome(runOver(kql, FIXTURE_ROWS), N);
    expect(outcome(runOver(kql, TWICE), N)).toEqual(once);
  });
});

it('the workbook panels checked are every panel over PgAudit_CL but "detections fired"', () => {
  expect(PANELS.map((p) => p.name).sort()).toEqual(['audit-by-class', 'events-by-type', 'failed-logins', 'gaps-unparsed', 'role-ddl-timeline', 'top-clients', 'top-objects', 'top-users']);
});
