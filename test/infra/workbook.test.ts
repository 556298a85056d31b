// The workbook template (infra/workbooks/pgaudit.workbook.json, deployed by modules/workbook.bicep):
// valid workbook JSON by the rules Microsoft's own template checks use (Notebook/1.0, known item
// types, log queries with queryType 0 on workspaces, no hard-coded resource ids, at most 40 log
// queries of at most 3,000 characters), two tabs, and every query checked by Kusto.Language with
// its workbook parameters filled in and the detection functions in scope; every value it compares
// with a pgAudit column is one the real server writes, and every RecordType/Trigger one the run
// records define.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- evaluated ARM JSON is untyped; the assertions are the type check */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECORD_TYPES, RUN_COLUMNS, RUN_TABLE_NAME, TRIGGERS } from '../../src/run-record-schema.js';
import { COLUMNS, EVENT_TYPES, TABLE_NAME } from '../../src/schema.js';
import { ALL_STYLE_ROWS } from '../detections/fixture-rows.js';
import { columnLiterals, occurs } from '../detections/literals.js';
import { checkKql, errorsOf } from '../helpers/kusto.js';
import { requireOrSkip } from '../helpers/tools.js';
import { bicepPath, deployMain, INFRA, MISSING_BICEP, resourcesOfType } from './bicep.js';

interface Item {
  type: number;
  name: string;
  content: Record<string, unknown> & { items?: Item[]; parameters?: Record<string, unknown>[]; links?: Record<string, unknown>[] };
  conditionalVisibility?: { parameterName: string; comparison: string; value: string };
}
const FILE = path.join(INFRA, 'workbooks', 'pgaudit.workbook.json');
const TEXT = readFileSync(FILE, 'utf8');
const WORKBOOK = JSON.parse(TEXT) as { version: string; items: Item[] };
const KNOWN_TYPES = [1, 3, 9, 11, 12]; // text, query, parameters, links (tabs), group
const LOGS = { queryType: 0, resourceType: 'microsoft.operationalinsights/workspaces' };

const all = (items: Item[]): Item[] => items.flatMap((i) => [i, ...all(i.content.items ?? [])]);
const ITEMS = all(WORKBOOK.items);
const PARAMETERS = ITEMS.filter((i) => i.type === 9).flatMap((i) => i.content.parameters ?? []);
/** Every log query: query items and parameters filled by a query. */
const QUERIES = [
  ...ITEMS.filter((i) => i.type === 3).map((i) => ({ name: i.name, query: String(i.content.query), content: i.content })),
  ...PARAMETERS.filter((p) => p.query !== undefined).map((p) => ({ name: `parameter ${String(p.name)}`, query: String(p.query), content: p })),
];
// Values as the workbook substitutes them: the server list as quoted values ('*' is "all"), the grain of the range.
const FILLED: Record<string, string> = { '{Server}': "'*'", '{TimeRange:grain}': '1h' };
const fill = (q: string): string => q.replace(/\{[A-Za-z]+(:[a-z]+)?\}/g, (m) => FILLED[m] ?? m);
// The detection functions (modules/detection-functions.bicep) with their default bodies.
const DETECTIONS = readdirSync(path.join(INFRA, 'kql')).filter((f) => f.startsWith('detect-'));
const alias = (f: string): string => `PgAuditDetection_${f.replace(/^detect-|\.kql$/g, '').replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`;
const FUNCTIONS = DETECTIONS.map((f) => `let ${alias(f)} = () {\n${readFileSync(path.join(INFRA, 'kql', f), 'utf8')}\n};`).join('\n');
const TABLES = { [TABLE_NAME]: COLUMNS, [RUN_TABLE_NAME]: RUN_COLUMNS };
// Rows the pipeline itself makes (never written by PostgreSQL): their EventType comes from the schema.
const PIPELINE_EVENT_TYPES: readonly string[] = EVENT_TYPES.filter((t) => !ALL_STYLE_ROWS.some((r) => r.EventType === t));

describe('the workbook template', () => {
  it('is a Notebook/1.0 workbook of known item types', () => {
    expect(WORKBOOK.version).toBe('Notebook/1.0');
    for (const i of ITEMS) expect(KNOWN_TYPES, i.name).toContain(i.type);
    expect(new Set(ITEMS.map((i) => i.name)).size).toBe(ITEMS.length);
  });

  it('runs only log queries on workspaces (queryType 0), within the best-practice limits', () => {
    expect(QUERIES.length).toBeGreaterThan(10);
    expect(QUERIES.length).toBeLessThanOrEqual(40);
    for (const q of QUERIES) {
      expect(q.content, q.name).toMatchObject(LOGS);
      expect(q.query.length, q.name).toBeLessThanOrEqual(3000);
    }
    expect(TEXT.length).toBeLessThanOrEqual(100_000);
  });

  it('holds no hard-coded resource ids', () => {
    expect(TEXT).not.toMatch(/\/subscriptions\//i);
    expect(TEXT).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\/resourcegroups/i);
    expect(TEXT).not.toMatch(/"(fallbackResourceIds|crossComponentResources)"/);
  });

  it('has time-range and server parameters, and every placeholder is one of them', () => {
    const names = PARAMETERS.map((p) => String(p.name));
    expect(names).toEqual(expect.arrayContaining(['TimeRange', 'Server']));
    expect(PARAMETERS.find((p) => p.name === 'TimeRange')!.type).toBe(4);
    for (const q of QUERIES) for (const [, p] of q.query.matchAll(/\{(\w+)(?::\w+)?\}/g)) expect(names, q.name).toContain(p);
    for (const q of ITEMS.filter((i) => i.type === 3)) expect(q.content.timeContextFromParameter, q.name).toBe('TimeRange');
  });

  it('has two tabs, Audit overview and Pipeline health, each showing its group', () => {
    const tabs = ITEMS.find((i) => i.type === 11 && i.content.style === 'tabs')!;
    const links = tabs.content.links!.map((l) => ({ label: l.linkLabel, value: l.subTarget, parameter: l.cellValue }));
    expect(links.map((l) => l.label)).toEqual(['Audit overview', 'Pipeline health']);
    for (const l of links) {
      const group = ITEMS.find((i) => i.type === 12 && i.conditionalVisibility?.value === l.value)!;
      expect(group.conditionalVisibility).toEqual({ parameterName: l.parameter, comparison: 'isEqualTo', value: l.value });
      expect(group.content.items!.filter((i) => i.type === 3).length).toBeGreaterThan(3);
    }
    const health = ITEMS.find((i) => i.name === 'health')!;
    for (const q of health.content.items!.filter((i) => i.type === 3)) expect(String(q.content.query), q.name).toMatch(/^PgAuditIngest_CL\n/);
  });

  it.each(QUERIES)('$name checks with Kusto.Language', ({ query }) => {
    expect(errorsOf(checkKql(`${FUNCTIONS}\n${fill(query)}`, TABLES))).toEqual([]);
  });

  it('the check fails on a broken query and on an unknown detection function', () => {
    expect(errorsOf(checkKql(`${FUNCTIONS}\n${fill("PgAudit_CL | where '*' in ({Server}) or ServerNam in ({Server})")}`, TABLES)).length).toBeGreaterThan(0);
    expect(errorsOf(checkKql(`${FUNCTIONS}\nPgAuditDetection_Nope()`, TABLES)).length).toBeGreaterThan(0);
  });

  it('"detections fired" reads every detection', () => {
    const fired = QUERIES.find((q) => q.name === 'detections-fired')!.query;
    for (const f of DETECTIONS) expect(fired, f).toContain(`${alias(f)}()`);
  });

  it.each(QUERIES)('$name compares pgAudit columns and run-record columns only with values that exist', ({ query }) => {
    for (const l of columnLiterals(query)) {
      const pipelineMade = l.column === 'EventType' && PIPELINE_EVENT_TYPES.includes(l.value);
      expect(pipelineMade || occurs(l, ALL_STYLE_ROWS), `${l.column} ${l.op} "${l.value}"`).toBe(true);
    }
    for (const l of columnLiterals(query, ['RecordType'])) expect(RECORD_TYPES, l.value).toContain(l.value);
    for (const l of columnLiterals(query, ['Trigger'])) expect(TRIGGERS, l.value).toContain(l.value);
  });
});

describe('the deployed workbook', () => {
  it('is a shared workbook on the workspace carrying the template, and deployWorkbook false leaves it out', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    const [workspace] = resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces');
    const [wb] = resourcesOfType(d, 'Microsoft.Insights/workbooks');
    expect(wb).toBeDefined();
    expect(wb!.raw.kind).toBe('shared');
    expect(wb!.properties).toMatchObject({ category: 'workbook', version: '1.0' });
    expect(String(wb!.properties.sourceId)).toMatch(new RegExp(`/workspaces/${String(workspace!.name)}$`));
    expect(JSON.parse(String(wb!.properties.serializedData))).toEqual(WORKBOOK);
    expect(String(wb!.name)).toMatch(/^[0-9a-f-]{36}$/);
    expect(resourcesOfType(deployMain({ deployWorkbook: false }), 'Microsoft.Insights/workbooks')).toEqual([]);
  });
});
/* eslint-enable */
