// Every KQL text of the deployment is parsed and semantically checked by Kusto.Language (the engine
// behind Azure Monitor's editor) against PgAudit_CL and PgAuditIngest_CL as the schema modules
// define them, and PgAuditBulk_CL on either plan (a DCR transform against each stream it serves):
// the files under infra/kql on their own, and the texts a deployment actually carries (alert
// rules, saved queries, the workspace functions, the DCR transforms) as evaluated from the compiled
// templates with default, awkward and tiered parameter values, against the tables that deployment
// creates. Each of those must be one of the files with only its `let` parameter lines changed, so
// no KQL reaches Azure unchecked.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- evaluated ARM JSON is untyped; the assertions are the type check */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_COLUMNS, RUN_TABLE_NAME, runSchemaJson } from '../../src/run-record-schema.js';
import { COLUMNS, schemaJson, TABLE_NAME } from '../../src/schema.js';
import { BULK_TABLE_NAME, DYNAMIC_AS_TEXT_ON_AUXILIARY } from '../../src/tiering.js';
import { ASIM_PARSERS } from '../detections/asim.js';
import { checkKql, errorsOf, kustoTypeOf, resultColumns } from '../helpers/kusto.js';
import { requireOrSkip } from '../helpers/tools.js';
import type { Deployment } from './arm.js';
import { bicepFiles, bicepPath, deployMain, INFRA, MISSING_BICEP, resourcesOfType } from './bicep.js';
import { deployedKql, type Tables } from './deployed.js';

const KQL_DIR = path.join(INFRA, 'kql');
const files = readdirSync(KQL_DIR).filter((f) => f.endsWith('.kql')).sort();
const text = (f: string): string => readFileSync(path.join(KQL_DIR, f), 'utf8');
/** A file that reads the bulk table (comments aside): a query for tiered deployments only. */
const readsBulk = (f: string): boolean => text(f).replace(/\/\/.*$/gm, '').includes(BULK_TABLE_NAME);
// Every query is checked against both tables; one that names the bulk table against it on each
// plan (Auxiliary: its dynamic columns are strings); a DCR transform against each stream it serves.
const TABLES: Tables = { [TABLE_NAME]: COLUMNS, [RUN_TABLE_NAME]: RUN_COLUMNS };
const auxiliaryColumns = COLUMNS.map((c) => ((DYNAMIC_AS_TEXT_ON_AUXILIARY as readonly string[]).includes(c.name) ? { ...c, type: 'string' } : c));
const BULK_VARIANTS: Record<string, Tables> = { Basic: { ...TABLES, [BULK_TABLE_NAME]: COLUMNS }, Auxiliary: { ...TABLES, [BULK_TABLE_NAME]: auxiliaryColumns } };
const STREAMS = [schemaJson(), runSchemaJson()].map((s) => ({ stream: s.streamName, columns: s.tableColumns as { name: string; type: string }[], source: { source: s.streamColumns as { name: string; type: string }[] } }));
/** The tables a file is checked against: each stream for the plain transform, the audit stream for
 * a tier transform, both plans of the bulk table for a query naming it, both tables otherwise. */
const tablesFor = (file: string): Tables[] =>
  file === 'transform.kql' ? STREAMS.map((s) => s.source) : file.startsWith('transform-tier-') ? [STREAMS[0]!.source] : readsBulk(file) ? Object.values(BULK_VARIANTS) : [TABLES];
// Workspace functions with parameters: Log Analytics declares them apart from the body (the
// savedSearch's functionParameters), so a body is checked as the function it becomes, called once.
// The ASIM parsers (infra/asim/parsers.json) too; an ASim* parser calls its vim* one, declared first.
const FUNCTION_PARAMETERS: Record<string, { alias: string; parameters: string; uses?: string }> = {
  'function-completeness.kql': { alias: 'PgAuditCompleteness', parameters: 'start:datetime, end:datetime, showAll:bool = false' },
  ...Object.fromEntries(Object.entries(ASIM_PARSERS).map(([alias, p]) => [p.file, { alias, parameters: p.parameters, uses: p.uses ? ASIM_PARSERS[p.uses]!.file : undefined }])),
};
const SAMPLE_ARGUMENT: Record<string, string> = { datetime: 'datetime(2026-11-01)', bool: 'true', string: '"x"', long: '1', int: '1', timespan: '1h', dynamic: 'dynamic(["x"])' };
function asFunction(alias: string, parameters: string, body: string): string {
  const args = parameters.split(',').map((p) => SAMPLE_ARGUMENT[p.split(':')[1]!.split('=')[0]!.trim()]!);
  return `let ${alias} = (${parameters}) {\n${body}\n};\n${alias}(${args.join(', ')})`;
}
/** `let Alias = (parameters) { body };` for a function file, and the functions it calls first. */
function declaration(file: string): string {
  const f = FUNCTION_PARAMETERS[file]!;
  return `${f.uses ? declaration(f.uses) : ''}let ${f.alias} = (${f.parameters}) {\n${text(file)}\n};\n`;
}
/** The text Kusto.Language checks for a file: a parameterised function body wrapped as the function. */
const checked = (file: string, kql: string): string => {
  const f = FUNCTION_PARAMETERS[file];
  return f ? `${f.uses ? declaration(f.uses) : ''}${asFunction(f.alias, f.parameters, kql)}` : kql;
};
/** A `let Name = value;` line: the only thing the templates may substitute. */
const LET_LINE = /^let (\w+) = .*;$/gm;
const normalise = (kql: string): string => kql.replace(LET_LINE, 'let $1 = <parameter>;');

describe('KQL files under infra/kql', () => {
  it.each(files)('%s parses and checks without errors', (file) => {
    for (const tables of tablesFor(file)) expect(errorsOf(checkKql(checked(file, text(file)), tables))).toEqual([]);
  });

  it.each([
    { name: 'an unknown column', query: 'PgAudit_CL | where Colour == "red"', code: 'KS142' },
    { name: 'a misspelt schema column', query: 'PgAudit_CL | project Username', code: 'KS142' },
    { name: 'a type mismatch', query: 'PgAudit_CL | where StatementId > "ten" and Redacted == 1', code: undefined },
    { name: 'an unknown table', query: 'PgAudit | take 1', code: 'KS204' },
    { name: 'a syntax error', query: 'PgAudit_CL | where', code: undefined },
  ])('the check fails on $name', ({ query, code }) => {
    const errors = errorsOf(checkKql(query));
    expect(errors.length).toBeGreaterThan(0);
    if (code) expect(errors.map((e) => e.code)).toContain(code);
  });

  it('every file is loaded by some Bicep file (no orphan queries)', () => {
    const bicep = bicepFiles().map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const f of files) expect(bicep, f).toContain(`kql/${f}'`);
  });

  it.each(STREAMS)('the transform is one row in, one row out, and yields exactly the table columns of $stream', ({ columns, source }) => {
    const transform = text('transform.kql');
    // Operators that drop, add or merge rows are not allowed in a DCR transform of these streams.
    expect(transform).not.toMatch(/\|\s*(where|summarize|mv-expand|mv-apply|join|union|take|limit|top|distinct|sample|parse-where)\b/);
    const out = resultColumns(transform, source);
    expect(out).toEqual(columns.map((c) => ({ name: c.name, type: kustoTypeOf(c.type).toLowerCase() })));
  });
});

/** Any string in any resource that looks like a query (a pipeline or a let), wherever it sits, and
 * every value of a property that holds a query (query, body, transformKql), even a one-line call. */
function kqlLookingStrings(d: Deployment): string[] {
  const found: string[] = [];
  const walk = (v: unknown, key = ''): void => {
    if (typeof v === 'string' && (/(^|\n)\s*(\||let \w+ =)/.test(v) || ['query', 'body', 'transformKql'].includes(key))) found.push(v);
    else if (Array.isArray(v)) v.forEach((x) => walk(x));
    else if (v && typeof v === 'object') Object.entries(v).forEach(([k, x]) => walk(x, k));
  };
  for (const r of d.resources()) if (r.type !== 'Microsoft.Resources/deployments') walk(r.properties);
  return found;
}

const PARAMETER_SETS = {
  defaults: {},
  awkward: {
    sensitiveTables: ['public.accounts', 'hr."Salaries, 2026"', "o'brien.t", 'back\\slash'],
    ddlUsers: [],
    changeWindowStartHour: 0,
    changeWindowEndHour: 24,
    authFailureThreshold: 1,
  },
  'one user with a quote': { ddlUsers: ['deploy"er'], sensitiveTables: ['public.x'] },
  'health alerts off': { health: { pipelineSilent: false, deadLetters: false, lag: false, errors: false, serverSilent: false } },
  'tiering (Basic)': { tiering: { enabled: true } },
  'Sentinel parsers, detection settings with awkward lists': {
    deploySentinelParsers: true,
    deployWorkbook: false,
    detections: { bruteForce: { threshold: 3, excludedUsers: ["o'brien", 'dq"x'] }, backdoorLoginRole: { roleAdmins: ['admin', 'back\\slash'] }, firstSeenAccess: { baselineDays: 1 }, identitySwitch: { enabled: false } },
  },
  'Sentinel analytics rules (14-day baselines)': { sentinelAnalyticsRules: true, detections: { bulkReadBaseline: { analyticsBaselineDays: 7, excludedUsers: ["o'brien"] } } },
  'tiering (Auxiliary), awkward privileged users': { tiering: { enabled: true, bulkPlan: 'Auxiliary', bulkClasses: ['READ', 'WRITE', 'MISC'], privilegedUsers: ["o'brien", 'back\\slash', 'dq"x', 'azuresu'], sensitiveTablesObjectAudited: true }, sensitiveTables: ['public.accounts'] },
};
// The files a parameter set does not deploy: the sensitive-reads rule without tables, the health
// rules that are turned off, the tier transforms and both-tier queries without tiering, the bulk
// transform of the other plan with it.
function absent(params: { sensitiveTables?: unknown[]; health?: Record<string, boolean>; tiering?: { enabled?: boolean; bulkPlan?: string }; deploySentinelParsers?: boolean; sentinelAnalyticsRules?: boolean }): string[] {
  const health: Record<string, string> = { pipelineSilent: 'health-pipeline-silent.kql', deadLetters: 'health-dead-letters.kql', lag: 'health-lag.kql', errors: 'health-errors.kql', serverSilent: 'health-server-silent.kql' };
  const tiered = params.tiering?.enabled === true;
  const tierFiles = tiered
    ? [params.tiering?.bulkPlan === 'Auxiliary' ? 'transform-tier-bulk.kql' : 'transform-tier-bulk-auxiliary.kql']
    : files.filter((f) => f.startsWith('transform-tier-') || readsBulk(f));
  const asim = params.deploySentinelParsers === true ? [] : files.filter((f) => f.startsWith('asim-'));
  return [...asim, ...((params.sensitiveTables ?? []).length > 0 ? [] : ['alert-sensitive-reads.kql']), ...Object.entries(params.health ?? {}).filter(([, on]) => !on).map(([k]) => health[k]!), ...tierFiles];
}

describe.each(Object.entries(PARAMETER_SETS))('KQL a deployment carries (%s parameters)', (_, params) => {
  it('is checked without errors and comes from a file, changed only in its let lines', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain(params);
    const texts = deployedKql(d);
    const byShape = new Map(files.map((f) => [normalise(text(f)), f]));
    const used = new Set<string>();
    for (const { where, kql, tables, parameters } of texts) {
      expect(typeof kql, where).toBe('string');
      const file = byShape.get(normalise(kql));
      expect(file, `${where}: not the text of any infra/kql file`).toBeDefined();
      used.add(file!);
      // A function's parameters are the ones its body is checked with.
      expect(parameters, where).toBe(FUNCTION_PARAMETERS[file!]?.parameters);
      // Against the tables this deployment creates (or the stream of a transform).
      expect(errorsOf(checkKql(checked(file!, kql), tables)), `${where} (${file})`).toEqual([]);
    }
    expect(new Set(kqlLookingStrings(d))).toEqual(new Set(texts.map((t) => t.kql)));
    // Every file ships (the sensitive-reads rule only when tables are listed, health rules when on).
    const expected = files.filter((f) => !absent(params).includes(f));
    expect([...used].sort(), `used ${[...used].filter((f) => !expected.includes(f)).join()}; missing ${expected.filter((f) => !used.has(f)).join()}`).toEqual(expected);
  });
});

it('parameters reach the alert queries', (ctx) => {
  requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
  const rules = resourcesOfType(deployMain(PARAMETER_SETS.awkward), 'Microsoft.Insights/scheduledQueryRules');
  const query = (name: string): string => rules.find((r) => String(r.name).includes(name))!.properties.criteria.allOf[0].query as string;
  expect(query('sensitive-table-reads')).toContain(`let SensitiveTables = dynamic(${JSON.stringify(PARAMETER_SETS.awkward.sensitiveTables)});`);
  expect(query('ddl-outside-window')).toContain('let ChangeWindowStartHour = 0;\nlet ChangeWindowEndHour = 24;\nlet DdlUsers = dynamic([]);');
  expect(query('auth-failure-burst')).toContain('let Threshold = 1;');
});

it('detection settings reach the detection queries, the rules and their functions', (ctx) => {
  requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
  const d = deployMain(PARAMETER_SETS['Sentinel parsers, detection settings with awkward lists']);
  const rules = resourcesOfType(d, 'Microsoft.Insights/scheduledQueryRules');
  const rule = (name: string) => rules.find((r) => String(r.name).includes(`-detect-${name}-`))!;
  const query = (name: string): string => rule(name).properties.criteria.allOf[0].query as string;
  expect(query('brute-force')).toContain('let Threshold = 3;\nlet ExcludedUsers = dynamic(["o\'brien","dq\\"x"]);');
  expect(query('backdoor-login-role')).toContain('let RoleAdmins = dynamic(["admin","back\\\\slash"]);');
  expect(query('first-seen-access')).toContain('let Baseline = 1d;');
  expect(rule('first-seen-access').properties.overrideQueryTimeRange).toBe('P1D');
  expect(rule('identity-switch').properties.enabled).toBe(false);
  expect(rule('audit-tampering').properties.enabled).toBe(true);
  const functions = resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces/savedSearches');
  expect(functions.find((f) => f.properties.functionAlias === 'PgAuditDetection_BruteForce')!.properties.query).toBe(query('brute-force'));
  expect(functions.filter((f) => f.properties.category === 'ASIM').map((f) => String(f.properties.functionAlias)).sort()).toEqual(Object.keys(ASIM_PARSERS).sort());
});

describe('PgAuditCompleteness()', () => {
  const body = text('function-completeness.kql');
  const call = checked('function-completeness.kql', body);

  it('returns one row per blob with the problem, both sides of the comparison and the dead letters', () => {
    expect(resultColumns(call, TABLES)).toEqual(
      [
        ['SourceBlob', 'string'], ['ServerName', 'string'], ['Problem', 'string'], ['Shipped', 'long'], ['Arrived', 'long'], ['DeadLetteredOutstanding', 'long'],
        ['LiveShipped', 'long'], ['Replayed', 'long'], ['DeadLettered', 'long'], ['RefusedAgain', 'long'], ['Filtered', 'long'], ['Ranges', 'long'],
        ['FirstByte', 'long'], ['LastByte', 'long'], ['LastShipped', 'datetime'], ['ServerResourceId', 'string'],
      ].map(([name, type]) => ({ name, type })),
    );
  });

  it('counts arrived rows exactly (no dcount estimate) and reads both tables', () => {
    expect(body.replace(/\/\/.*$/gm, '')).not.toMatch(/\bdcount(if)?\s*\(/);
    // A blob is its server and its server-relative name (rows and run records carry both).
    expect(body).toMatch(/\| summarize by ServerName, SourceBlob, RecordId, SourceOffset\n/);
    expect(body).toMatch(/join kind=inner Windows on ServerName, SourceBlob\n/);
    for (const table of [TABLE_NAME, RUN_TABLE_NAME]) expect(body).toContain(table);
    // Without the run-records table (or with a misspelt column) the check fails: it really resolves names.
    expect(errorsOf(checkKql(call, { [TABLE_NAME]: COLUMNS })).length).toBeGreaterThan(0);
    expect(errorsOf(checkKql(call.replace('RowsDeadLettered', 'RowsDeadletered'), TABLES)).length).toBeGreaterThan(0);
  });
});

describe('KQL in the documentation', () => {
  // The snippets a reader pastes, in every page of the documentation, with the workspace functions declared.
  // The functions a deployment can hold, those that others call (vim* for ASim*) first.
  const declarations = Object.entries(FUNCTION_PARAMETERS)
    .sort(([, a], [, b]) => Number(a.uses !== undefined) - Number(b.uses !== undefined))
    .map(([file, f]) => `let ${f.alias} = (${f.parameters}) {\n${text(file)}\n};`)
    .join('\n');
  const pages = ['README.md', 'CONTRIBUTING.md', ...readdirSync(path.join(INFRA, '..', 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const snippets = pages.flatMap((doc) =>
    [...readFileSync(path.join(INFRA, '..', doc), 'utf8').matchAll(/```kusto\n([\s\S]*?)```/g)].map((m, i) => ({ name: `${doc} #${i + 1}`, kql: m[1]!.replace(/^ {3}/gm, '') })),
  );

  it('has snippets to check', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(4);
  });

  it.each(snippets)('$name checks without errors', ({ kql }) => {
    expect(errorsOf(checkKql(`${declarations}\n${kql}`, TABLES))).toEqual([]);
  });
});
