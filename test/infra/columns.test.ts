// One column list everywhere, for both tables: the PgAudit_CL (audit rows) and PgAuditIngest_CL
// (run records) tables and the DCR stream declarations a deployment of main.bicep creates equal
// their schema modules (names, types, order), they take them from the generated JSON
// (loadJsonContent), and that JSON is what the schema modules generate today.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- evaluated ARM JSON is untyped; the assertions are the type check */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderRunSchemaJson, renderSchemaJson, RUN_SCHEMA_JSON_PATH, SCHEMA_JSON_PATH } from '../../scripts/generate-schema-json.js';
import { RUN_COLUMNS, runSchemaJson, RUN_STREAM_NAME, RUN_TABLE_NAME } from '../../src/run-record-schema.js';
import { COLUMNS, schemaJson, STREAM_NAME, streamType, TABLE_NAME } from '../../src/schema.js';
import { requireOrSkip } from '../helpers/tools.js';
import { bicepPath, deployMain, MISSING_BICEP, resourcesOfType } from './bicep.js';

type Column = { name: string; type: string; description?: string };

// Each table: its schema module, the generated JSON Bicep loads, and the plan it gets by default.
const TABLES = [
  { table: TABLE_NAME, stream: STREAM_NAME, columns: COLUMNS, json: schemaJson(), path: SCHEMA_JSON_PATH, render: renderSchemaJson, plan: 'Analytics' },
  { table: RUN_TABLE_NAME, stream: RUN_STREAM_NAME, columns: RUN_COLUMNS, json: runSchemaJson(), path: RUN_SCHEMA_JSON_PATH, render: renderRunSchemaJson, plan: 'Analytics' },
];

const tablesOf = (params: Record<string, unknown> = {}) => resourcesOfType(deployMain(params), 'Microsoft.OperationalInsights/workspaces/tables');

describe.each(TABLES)('$table', ({ table, stream, columns, json, path, render, plan }) => {
  it('the checked-in column JSON is what the schema module generates', () => {
    expect(readFileSync(path, 'utf8')).toBe(render());
  });

  it('the deployed table and DCR stream columns equal the schema module (names, types, order)', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    const deployed = tablesOf().filter((t) => String(t.name).endsWith(`/${table}`));
    expect(deployed).toHaveLength(1);
    const t = deployed[0]!;
    expect(String(t.name)).toMatch(new RegExp(`^log-pgaudit-[a-z0-9]{13}/${table}$`));
    expect(t.properties).toMatchObject({ plan, retentionInDays: 90, totalRetentionInDays: 365 });
    const tableColumns = t.properties.schema.columns as Column[];
    expect(t.properties.schema.name).toBe(table);
    expect(tableColumns.map((c) => [c.name, c.type])).toEqual(columns.map((c) => [c.name, c.type]));
    expect(tableColumns).toEqual(json.tableColumns); // descriptions too

    const [dcr] = resourcesOfType(d, 'Microsoft.Insights/dataCollectionRules');
    const streams = dcr!.properties.streamDeclarations as Record<string, { columns: Column[] }>;
    expect(streams[stream]!.columns.map((c) => [c.name, c.type])).toEqual(columns.map((c) => [c.name, streamType(c.type)]));
    // Same names in the same order on both sides: the DCR maps the stream straight onto the table.
    expect(streams[stream]!.columns.map((c) => c.name)).toEqual(tableColumns.map((c) => c.name));
    const flows = (dcr!.properties.dataFlows as { streams: string[]; outputStream: string }[]).filter((f) => f.streams.includes(stream));
    expect(flows).toEqual([expect.objectContaining({ streams: [stream], destinations: ['workspace'], outputStream: `Custom-${table}` })]);
  });
});

describe('the deployment', () => {
  it('creates exactly the two tables, one DCR with exactly their two streams and flows', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    expect(tablesOf().map((t) => String(t.name).split('/')[1]).sort()).toEqual(TABLES.map((t) => t.table).sort());
    const dcrs = resourcesOfType(d, 'Microsoft.Insights/dataCollectionRules');
    expect(dcrs).toHaveLength(1);
    expect(dcrs[0]!.raw.kind).toBe('Direct');
    expect(Object.keys(dcrs[0]!.properties.streamDeclarations as object).sort()).toEqual(TABLES.map((t) => t.stream).sort());
    expect(dcrs[0]!.properties.dataFlows).toHaveLength(TABLES.length);
    expect(dcrs[0]!.properties.destinations.logAnalytics).toEqual([{ name: 'workspace', workspaceResourceId: expect.stringMatching(/\/workspaces\/log-pgaudit-[a-z0-9]{13}$/) }]);
  });

  it('tables and streams read the generated JSON (loadJsonContent), not a copy of the columns', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    const generated = TABLES.map((t) => JSON.parse(readFileSync(t.path, 'utf8')) as unknown);
    for (const type of ['Microsoft.OperationalInsights/workspaces/tables', 'Microsoft.Insights/dataCollectionRules']) {
      const r = resourcesOfType(d, type)[0]!;
      const where = r.path.at(-1)!;
      const module = d.resources().find((m) => m.type === 'Microsoft.Resources/deployments' && m.name === where)!;
      const variables = (module.raw.properties.template as { variables: Record<string, unknown> }).variables;
      // Bicep inlines each loadJsonContent as a `$fxv#N` variable that the spec list refers to.
      const loaded = Object.entries(variables).filter(([k]) => k.startsWith('$fxv#')).map(([, v]) => v);
      for (const g of generated) expect(loaded).toContainEqual(g);
      // The module's own variables refer to those; none holds a copy of a column list.
      const own = JSON.stringify(Object.entries(variables).filter(([k]) => !k.startsWith('$fxv#')));
      expect(own).toMatch(/"\[variables\('\$fxv#\d+'\)\]"/);
      expect(own).not.toMatch(/streamColumns"?:\[|"tableColumns":\[/);
    }
  });

  it('the DCR is created after the tables, in the workspace region, and logs its errors to the workspace', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const d = deployMain();
    const monitoring = d.resources().find((r) => r.type === 'Microsoft.Resources/deployments' && r.name === 'monitoring')!;
    // The DCR's output streams are built from the workspace module's table outputs: ARM orders the
    // monitoring deployment after the workspace deployment (which holds the tables) through them.
    for (const p of ['tableName', 'runTableName']) expect(JSON.stringify(monitoring.raw.properties.parameters[p])).toContain(`reference('workspace').outputs.${p}.value`);
    expect(monitoring.raw.dependsOn).toContain('workspace');
    const dcr = resourcesOfType(d, 'Microsoft.Insights/dataCollectionRules')[0]!;
    expect(dcr.raw.location).toBe("[parameters('workspaceLocation')]");
    const diagnostics = resourcesOfType(d, 'Microsoft.Insights/diagnosticSettings').filter((s) => String(s.scope).includes('/dataCollectionRules/'));
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.properties).toEqual({ workspaceId: dcr.properties.destinations.logAnalytics[0].workspaceResourceId, logs: [{ category: 'LogErrors', enabled: true }] });
  });
});
