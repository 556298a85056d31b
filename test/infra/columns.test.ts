// Table columns == DCR stream columns == the schema module, read from the compiled ARM JSON.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { renderSchemaJson, SCHEMA_JSON_PATH } from '../../scripts/generate-schema-json.js';
import { COLUMNS, STREAM_NAME, streamType, TABLE_NAME } from '../../src/schema.js';
import { requireOrSkip } from '../helpers/tools.js';
import { armOf, bicepPath, INFRA } from './bicep.js';

type Json = Record<string, unknown>;

/** Every resource of every nested (module) template, with that template's variables. */
function resources(template: Json): { type: string; properties: Json; variables: Json }[] {
  const out: { type: string; properties: Json; variables: Json }[] = [];
  const variables = (template.variables ?? {}) as Json;
  const list = Array.isArray(template.resources) ? (template.resources as Json[]) : Object.values((template.resources ?? {}) as Record<string, Json>);
  for (const r of list) {
    out.push({ type: String(r.type), properties: (r.properties ?? {}) as Json, variables });
    const nested = (r.properties as Json | undefined)?.template as Json | undefined;
    if (nested) out.push(...resources(nested));
  }
  return out;
}

it('the checked-in column JSON is what the schema module generates', () => {
  expect(readFileSync(SCHEMA_JSON_PATH, 'utf8')).toBe(renderSchemaJson());
});

it('compiled table and DCR stream columns equal the schema module (names, types, order)', (ctx) => {
  requireOrSkip(ctx, bicepPath() !== null, 'Bicep CLI not installed (scripts/install-bicep.sh)');
  const all = resources(armOf(path.join(INFRA, 'main.bicep')));
  const table = all.find((r) => r.type === 'Microsoft.OperationalInsights/workspaces/tables');
  const dcr = all.find((r) => r.type === 'Microsoft.Insights/dataCollectionRules');
  expect(table && dcr).toBeTruthy();
  // loadJsonContent lands in a generated variable ($fxv#N) that `schema` refers to.
  const resolve = (v: unknown): unknown => (typeof v === 'string' && /^\[variables\('([^']+)'\)\]$/.test(v) ? table!.variables[/'([^']+)'/.exec(v)![1]!] : v);
  const schema = resolve(table!.variables.schema) as { tableName: string; streamName: string; tableColumns: { name: string; type: string }[]; streamColumns: { name: string; type: string }[] };
  // The resources must take their columns from that loaded JSON, not from a copy.
  expect(JSON.stringify(table!.properties.schema)).toContain("variables('schema').tableColumns");
  expect(JSON.stringify(dcr!.properties.streamDeclarations)).toContain("variables('schema').streamColumns");
  expect(schema.tableName).toBe(TABLE_NAME);
  expect(schema.streamName).toBe(STREAM_NAME);
  expect(schema.tableColumns.map((c) => [c.name, c.type])).toEqual(COLUMNS.map((c) => [c.name, c.type]));
  expect(schema.streamColumns.map((c) => [c.name, c.type])).toEqual(COLUMNS.map((c) => [c.name, streamType(c.type)]));
  expect(dcr!.properties.dataFlows).toEqual([expect.objectContaining({ outputStream: "[variables('schema').streamName]" })]);
});
