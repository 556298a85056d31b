// Tiered cost, read from simulated deployments of main.bicep: with tiering the audit stream feeds two
// data flows whose filters implement src/tiering.ts tierOf() exactly and complement each other, into
// PgAudit_CL and PgAuditBulk_CL (Basic, or Auxiliary with its dynamic columns as strings); tables ==
// streams == schema; each flow's transform yields exactly the columns of the table it writes; the
// rule's parameters reach the transforms through their let lines; what would blind an alert, or
// put PgAudit_CL on Basic, is refused with a message.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- evaluated ARM JSON is untyped; the assertions are the type check */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderTieringJson, TIERING_JSON_PATH } from '../../scripts/generate-schema-json.js';
import { COLUMNS, STREAM_NAME, streamType, TABLE_NAME } from '../../src/schema.js';
import { BULK_CLASS_CHOICES, BULK_TABLE_NAME, DEFAULT_TIERING_RULE, DYNAMIC_AS_TEXT_ON_AUXILIARY, tierOf, type TieringRule } from '../../src/tiering.js';
import { errorsOf, checkKql, kustoTypeOf, resultColumns } from '../helpers/kusto.js';
import { requireOrSkip } from '../helpers/tools.js';
import { ArmFailure } from './arm.js';
import { bicepPath, deployMain, INFRA, MISSING_BICEP, resourcesOfType } from './bicep.js';
import { deployedKql, deployedTables } from './deployed.js';

const BULK = `Custom-${BULK_TABLE_NAME}`;
// Types an Auxiliary table takes (create-custom-table-auxiliary.md: no dynamic columns).
const AUXILIARY_TYPES = ['string', 'int', 'long', 'real', 'boolean', 'dateTime', 'guid'];

const TIERED: { name: string; params: Record<string, unknown>; plan: string; rule: TieringRule }[] = [
  { name: 'Basic, default rule', params: { tiering: { enabled: true } }, plan: 'Basic', rule: DEFAULT_TIERING_RULE },
  {
    name: 'Auxiliary, own rule with awkward user names',
    params: { tiering: { enabled: true, bulkPlan: 'Auxiliary', bulkClasses: ['READ', 'FUNCTION'], privilegedUsers: ['azuresu', "o'brien", 'back\\slash', 'dq"x'] } },
    plan: 'Auxiliary',
    rule: { bulkClasses: ['READ', 'FUNCTION'], privilegedUsers: ['azuresu', "o'brien", 'back\\slash', 'dq"x'] },
  },
];

/** The lists a tier transform's let lines hold: parse_json('<json>') with the KQL string literal decoded. */
function letLists(kql: string): Record<string, unknown> {
  const lists = [...kql.matchAll(/^let (\w+) = parse_json\('((?:[^'\\]|\\.)*)'\);$/gm)];
  return Object.fromEntries(lists.map(([, name, literal]) => [name!, JSON.parse(literal!.replace(/\\(.)/g, '$1')) as unknown]));
}

type Row = { EventType: string | null; AuditType: string | null; Class: string | null; UserName: string | null };
/** A transform's `where` predicate as a JavaScript function of a row: the few KQL forms the tier
 * transforms use, translated one by one (a Kusto string is never null: absent is ""). */
function predicateOf(kql: string): (row: Row, lists: Record<string, unknown>) => boolean {
  const wheres = [...kql.matchAll(/^\| where (.*)$/gm)].map((m) => m[1]!);
  expect(wheres).toHaveLength(1);
  const js = wheres[0]!
    .replace(/(\w+) !in \((\w+)\)/g, '!L.$2.includes(r.$1)')
    .replace(/(\w+) in \((\w+)\)/g, 'L.$2.includes(r.$1)')
    .replace(/isnotempty\((\w+)\)/g, '(r.$1 !== "")')
    .replace(/isempty\((\w+)\)/g, '(r.$1 === "")')
    .replace(/(\w+) (==|!=) ("[^"]*")/g, 'r.$1 $2= $3')
    .replace(/ and /g, ' && ')
    .replace(/ or /g, ' || ');
  expect(js, 'a KQL form the translation does not know').toMatch(/^[\w.!=&|"() ]+$/);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the predicate text of a checked file
  const fn = new Function('r', 'L', `return ${js};`) as (r: Record<string, string>, l: Record<string, unknown>) => boolean;
  return (row, lists) => fn(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v ?? ''])), lists);
}

// Every combination that matters to the rule, including users the case's rule names.
function rows(rule: TieringRule): Row[] {
  const out: Row[] = [];
  for (const EventType of ['AUDIT', 'ERROR', 'CONNECT', 'GAP'])
    for (const AuditType of ['SESSION', 'OBJECT', null])
      for (const Class of ['READ', 'WRITE', 'FUNCTION', 'MISC', 'ROLE', 'DDL', null])
        for (const UserName of ['alice', null, ...rule.privilegedUsers]) out.push({ EventType, AuditType, Class, UserName });
  return out;
}

const flowsOf = (params: Record<string, unknown>) => resourcesOfType(deployMain(params), 'Microsoft.Insights/dataCollectionRules')[0]!.properties.dataFlows as { streams: string[]; outputStream: string; transformKql: string; destinations: string[] }[];

it('the generated tiering JSON is what src/tiering.ts generates, and names exactly the dynamic columns of the schema', () => {
  expect(readFileSync(TIERING_JSON_PATH, 'utf8')).toBe(renderTieringJson());
  expect([...DYNAMIC_AS_TEXT_ON_AUXILIARY].sort()).toEqual(COLUMNS.filter((c) => c.type === 'dynamic').map((c) => c.name).sort());
});

it('the let lines of the tier transforms are the default rule of tiering.json', () => {
  const json = JSON.parse(readFileSync(TIERING_JSON_PATH, 'utf8')) as { defaultRule: TieringRule };
  for (const file of ['transform-tier-analytics.kql', 'transform-tier-bulk.kql', 'transform-tier-bulk-auxiliary.kql'])
    expect(letLists(readFileSync(path.join(INFRA, 'kql', file), 'utf8')), file).toEqual({ BulkClasses: json.defaultRule.bulkClasses, PrivilegedUsers: json.defaultRule.privilegedUsers });
});

describe('without tiering (the default)', () => {
  it('there is no bulk table, one flow per stream, and nothing names PgAuditBulk_CL', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    expect(Object.keys(deployedTables(d).tables)).not.toContain(BULK_TABLE_NAME);
    expect(flowsOf({}).map((f) => f.outputStream).sort()).toEqual(['Custom-PgAuditIngest_CL', `Custom-${TABLE_NAME}`]);
    for (const t of deployedKql(d)) expect(t.kql.replace(/\/\/.*$/gm, ''), t.where).not.toContain(BULK_TABLE_NAME); // comments aside
    expect(resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces/savedSearches').map((f) => /let Tiered = (\w+);/.exec(f.properties.query)?.[1])).toContain('false');
  });
});

describe.each(TIERED)('tiering: $name', ({ params, plan, rule }) => {
  it('PgAuditBulk_CL has the columns of PgAudit_CL in the same order, dynamic ones as strings on Auxiliary; PgAudit_CL stays Analytics', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain(params);
    const { tables, plans } = deployedTables(d);
    expect(plans).toEqual({ [TABLE_NAME]: 'Analytics', PgAuditIngest_CL: 'Analytics', [BULK_TABLE_NAME]: plan });
    const asText = plan === 'Auxiliary' ? (DYNAMIC_AS_TEXT_ON_AUXILIARY as readonly string[]) : [];
    expect(tables[BULK_TABLE_NAME]).toEqual(COLUMNS.map((c) => ({ name: c.name, type: asText.includes(c.name) ? 'string' : c.type })));
    if (plan === 'Auxiliary') for (const c of tables[BULK_TABLE_NAME]!) expect(AUXILIARY_TYPES, c.name).toContain(c.type);
    const bulk = resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces/tables').find((t) => String(t.name).endsWith(`/${BULK_TABLE_NAME}`))!;
    // Basic and Auxiliary tables take only the total retention (retentionInDays is read-only there).
    expect(bulk.properties).toMatchObject({ plan, totalRetentionInDays: 365, schema: { name: BULK_TABLE_NAME } });
    expect(bulk.properties).not.toHaveProperty('retentionInDays');
    expect(bulk.raw.apiVersion).toBe('2025-07-01'); // the first stable Tables API with Auxiliary
  });

  it('one stream in, two flows out: the audit stream is unchanged and feeds PgAudit_CL and PgAuditBulk_CL', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const [dcr] = resourcesOfType(deployMain(params), 'Microsoft.Insights/dataCollectionRules');
    const streams = dcr!.properties.streamDeclarations as Record<string, { columns: { name: string; type: string }[] }>;
    expect(Object.keys(streams).sort()).toEqual(['Custom-PgAuditIngest_CL', STREAM_NAME]);
    expect(streams[STREAM_NAME]!.columns).toEqual(COLUMNS.map((c) => ({ name: c.name, type: streamType(c.type) })));
    const audit = flowsOf(params).filter((f) => f.streams.includes(STREAM_NAME));
    expect(audit.map((f) => [f.streams, f.destinations, f.outputStream])).toEqual([
      [[STREAM_NAME], ['workspace'], `Custom-${TABLE_NAME}`],
      [[STREAM_NAME], ['workspace'], BULK],
    ]);
  });

  it('each flow yields exactly the columns (names, order, types) of the table it writes, checked by Kusto.Language', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain(params);
    const { tables } = deployedTables(d);
    const transforms = deployedKql(d).filter((t) => t.kind === 'transform');
    expect(transforms.map((t) => t.output).sort()).toEqual([TABLE_NAME, BULK_TABLE_NAME, 'PgAuditIngest_CL'].sort());
    for (const t of transforms) {
      expect(errorsOf(checkKql(t.kql, t.tables)), t.where).toEqual([]);
      expect(resultColumns(t.kql, t.tables), t.where).toEqual(tables[t.output!]!.map((c) => ({ name: c.name, type: kustoTypeOf(c.type).toLowerCase() })));
    }
  });

  it('the two flows implement tierOf() with this rule and take complementary rows', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const audit = flowsOf(params).filter((f) => f.streams.includes(STREAM_NAME));
    const [analytics, bulk] = audit.map((f) => ({ lists: letLists(f.transformKql), where: predicateOf(f.transformKql) }));
    // The deployed let lines hold the parameter's lists exactly (quotes and backslashes survive).
    for (const f of [analytics!, bulk!]) expect(f.lists).toEqual({ BulkClasses: rule.bulkClasses, PrivilegedUsers: rule.privilegedUsers });
    const cases = rows(rule);
    expect(cases.filter((r) => tierOf(r, rule) === 'bulk').length).toBeGreaterThan(0);
    for (const r of cases) {
      const expected = tierOf(r, rule);
      expect(bulk!.where(r, bulk!.lists), JSON.stringify(r)).toBe(expected === 'bulk');
      expect(analytics!.where(r, analytics!.lists), JSON.stringify(r)).toBe(expected === 'analytics');
    }
  });

  it('PgAuditCompleteness() knows the bulk rows are elsewhere; the both-tier saved queries are in the pack', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain(params);
    const completeness = resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces/savedSearches').find((f) => f.properties.functionAlias === 'PgAuditCompleteness')!;
    expect(completeness.properties.query).toContain('let Tiered = true;');
    const names = resourcesOfType(d, 'Microsoft.OperationalInsights/queryPacks/queries').map((q) => String(q.properties.displayName));
    expect(names.filter((n) => n.includes('both tiers'))).toHaveLength(2);
  });

  it('the DCR is created after the bulk table (its output stream is the workspace module output)', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const monitoring = deployMain(params).resources().find((r) => r.type === 'Microsoft.Resources/deployments' && r.name === 'monitoring')!;
    expect(JSON.stringify(monitoring.raw.properties.parameters.bulkTableName)).toContain("reference('workspace').outputs.bulkTableName.value");
  });
});

describe('refused before anything deploys', () => {
  it.for([
    { name: 'tablePlan Basic without tiering', params: { tablePlan: 'Basic' }, error: /tablePlan Basic is refused: .*turn on tiering/ },
    { name: 'tablePlan Basic with tiering', params: { tablePlan: 'Basic', tiering: { enabled: true } }, error: /tablePlan Basic with tiering: PgAudit_CL .* stays Analytics/ },
    { name: 'no bulk class', params: { tiering: { enabled: true, bulkClasses: [] } }, error: /tiering\.bulkClasses is empty/ },
    { name: 'READ bulk while sensitive reads alert', params: { sensitiveTables: ['public.accounts'], tiering: { enabled: true } }, error: /sensitive-table-reads alert would miss .*sensitiveTablesObjectAudited/ },
    { name: 'ROLE as a bulk class', params: { tiering: { enabled: true, bulkClasses: ['READ', 'ROLE'] } }, error: /tiering\.bulkClasses: .* is not one of/ },
    { name: 'an unknown field', params: { tiering: { enabled: true, plan: 'Basic' } }, error: /has properties the type does not declare: plan/ },
  ])('$name', ({ params, error }, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    expect(() => deployMain(params).resources()).toThrow(error);
  });

  it('tablePlan Basic fails through fail() (a message, not a template error); object auditing of sensitive tables lets READ be bulk', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    expect(() => deployMain({ tablePlan: 'Basic' }).resources()).toThrow(ArmFailure);
    const d = deployMain({ sensitiveTables: ['public.accounts'], tiering: { enabled: true, sensitiveTablesObjectAudited: true } });
    expect(resourcesOfType(d, 'Microsoft.Insights/scheduledQueryRules').map((r) => String(r.name))).toContainEqual(expect.stringContaining('sensitive-table-reads'));
  });
});

describe('the classes a rule may route', () => {
  it('the Bicep tiering type offers exactly BULK_CLASS_CHOICES (what parse --tier-bulk-class accepts)', () => {
    const lib = readFileSync(path.join(INFRA, 'lib.bicep'), 'utf8');
    const union = /bulkClasses: \(([^)]*)\)\[\]\?/.exec(lib);
    expect(union, 'lib.bicep tiering type has a bulkClasses union').not.toBeNull();
    expect(union![1]!.split('|').map((s) => s.trim().replace(/'/g, ''))).toEqual([...BULK_CLASS_CHOICES]);
    expect(DEFAULT_TIERING_RULE.bulkClasses.every((c) => (BULK_CLASS_CHOICES as readonly string[]).includes(c))).toBe(true);
  });
});
