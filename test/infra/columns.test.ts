// One column list everywhere: the PgAudit_CL table and the DCR stream declaration a deployment of
// main.bicep creates equal the schema module (names, types, order), they take them from the
// generated JSON (loadJsonContent), and that JSON is what the schema module generates today.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment -- evaluated ARM JSON is untyped; the assertions are the type check */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { renderSchemaJson, SCHEMA_JSON_PATH } from '../../scripts/generate-schema-json.js';
import { COLUMNS, schemaJson, STREAM_NAME, streamType, TABLE_NAME } from '../../src/schema.js';
import { requireOrSkip } from '../helpers/tools.js';
import { bicepPath, deployMain, MISSING_BICEP, resourcesOfType } from './bicep.js';

type Column = { name: string; type: string; description?: string };

it('the checked-in column JSON is what the schema module generates', () => {
  expect(readFileSync(SCHEMA_JSON_PATH, 'utf8')).toBe(renderSchemaJson());
});

it('the deployed table and DCR stream columns equal the schema module (names, types, order)', (ctx) => {
  requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
  const d = deployMain();
  const [table, ...moreTables] = resourcesOfType(d, 'Microsoft.OperationalInsights/workspaces/tables');
  const [dcr, ...moreDcrs] = resourcesOfType(d, 'Microsoft.Insights/dataCollectionRules');
  expect(moreTables).toEqual([]);
  expect(moreDcrs).toEqual([]);
  expect(String(table!.name)).toMatch(new RegExp(`^log-pgaudit-[a-z0-9]{13}/${TABLE_NAME}$`));

  const tableColumns = table!.properties.schema.columns as Column[];
  expect(table!.properties.schema.name).toBe(TABLE_NAME);
  expect(tableColumns.map((c) => [c.name, c.type])).toEqual(COLUMNS.map((c) => [c.name, c.type]));
  expect(tableColumns).toEqual(schemaJson().tableColumns); // descriptions too

  const streams = dcr!.properties.streamDeclarations as Record<string, { columns: Column[] }>;
  expect(Object.keys(streams)).toEqual([STREAM_NAME]);
  expect(streams[STREAM_NAME]!.columns.map((c) => [c.name, c.type])).toEqual(COLUMNS.map((c) => [c.name, streamType(c.type)]));
  // Same names in the same order on both sides: the DCR maps the stream straight onto the table.
  expect(streams[STREAM_NAME]!.columns.map((c) => c.name)).toEqual(tableColumns.map((c) => c.name));

  expect(dcr!.raw.kind).toBe('Direct');
  expect(dcr!.properties.dataFlows).toEqual([
    expect.objectContaining({ streams: [STREAM_NAME], destinations: ['workspace'], outputStream: STREAM_NAME }),
  ]);
  expect(dcr!.properties.destinations.logAnalytics).toEqual([{ name: 'workspace', workspaceResourceId: expect.stringMatching(/\/workspaces\/log-pgaudit-[a-z0-9]{13}$/) }]);
});

it('table and stream read the generated JSON (loadJsonContent), not a copy of the columns', (ctx) => {
  requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
  const d = deployMain();
  const generated = JSON.parse(readFileSync(SCHEMA_JSON_PATH, 'utf8')) as unknown;
  for (const type of ['Microsoft.OperationalInsights/workspaces/tables', 'Microsoft.Insights/dataCollectionRules']) {
    const r = resourcesOfType(d, type)[0]!;
    const where = r.path.at(-1)!;
    const module = d.resources().find((m) => m.type === 'Microsoft.Resources/deployments' && m.name === where)!;
    const variables = (module.raw.properties.template as { variables: Record<string, unknown> }).variables;
    // Bicep inlines loadJsonContent as a `$fxv#N` variable that `schema` refers to.
    const loaded = Object.entries(variables).filter(([k]) => k.startsWith('$fxv#')).map(([, v]) => v);
    expect(loaded).toContainEqual(generated);
    expect(variables.schema).toMatch(/^\[variables\('\$fxv#\d+'\)\]$/);
  }
});

it('the DCR is created after the table, in the workspace region', (ctx) => {
  requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
  const d = deployMain();
  const monitoring = d.resources().find((r) => r.type === 'Microsoft.Resources/deployments' && r.name === 'monitoring')!;
  // The DCR's output stream is built from the workspace module's tableName output: ARM orders the
  // monitoring deployment after the workspace deployment (which holds the table) through it.
  expect(JSON.stringify(monitoring.raw.properties.parameters.tableName)).toContain("reference('workspace').outputs.tableName.value");
  expect(monitoring.raw.dependsOn).toContain('workspace');
  const dcr = resourcesOfType(d, 'Microsoft.Insights/dataCollectionRules')[0]!;
  expect(JSON.stringify(dcr.raw.properties.dataFlows)).toContain("parameters('tableName')");
  expect(dcr.raw.location).toBe("[parameters('workspaceLocation')]");
});
