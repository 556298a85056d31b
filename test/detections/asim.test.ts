// The ASIM parsers (infra/kql/asim-*.kql, deployed as workspace functions by
// modules/detection-functions.bicep when deploySentinelParsers is set): Kusto.Language computes the
// result schema of each function as Log Analytics declares it (functionParameters from
// infra/asim/parsers.json) and every mandatory, recommended and required field of its schema must
// be there with the type Microsoft's tester expects (infra/asim/*-fields.json, from ASimTester.csv);
// every literal a field is set to must be a value the schema allows; the filters compare only with
// values the real server writes.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any -- the Bridge.NET syntax tree is untyped */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_COLUMNS, RUN_TABLE_NAME } from '../../src/run-record-schema.js';
import { COLUMNS, TABLE_NAME } from '../../src/schema.js';
import { parseSyntax, resultColumns, syntaxKindName, walkSyntax } from '../helpers/kusto.js';
import { INFRA } from '../infra/bicep.js';
import { ASIM_FIELDS, ASIM_PARSERS } from './asim.js';
import { ALL_STYLE_ROWS } from './fixture-rows.js';
import { columnLiterals, occurs } from './literals.js';

const TABLES = { [TABLE_NAME]: COLUMNS, [RUN_TABLE_NAME]: RUN_COLUMNS };
const body = (alias: string): string => readFileSync(path.join(INFRA, 'kql', ASIM_PARSERS[alias]!.file), 'utf8');
const declare = (alias: string): string => {
  const p = ASIM_PARSERS[alias]!;
  return `${p.uses ? declare(p.uses) : ''}let ${alias} = (${p.parameters}) {\n${body(alias)}\n};\n`;
};
// The function called with its defaults, as ASIM's unifying parsers call it.
const call = (alias: string): string => `${declare(alias)}${alias}()`;
const KUSTO_TYPE: Record<string, string> = { string: 'string', int: 'int', long: 'long', datetime: 'datetime', dynamic: 'dynamic', bool: 'bool', real: 'real' };

const PARSERS = Object.entries(ASIM_PARSERS).map(([alias, p]) => ({ alias, ...p }));

describe.each(PARSERS)('$alias (ASIM $schema)', ({ alias, schema }) => {
  const fields = ASIM_FIELDS[schema]!;
  const columns = new Map((resultColumns(call(alias), TABLES) ?? []).map((c) => [c.name, c.type]));

  it.each([...fields.mandatory, ...fields.recommended, ...fields.project])('has $name as $type', ({ name, type }) => {
    expect(columns.size, 'the parser yields no table').toBeGreaterThan(0);
    expect(columns.get(name), name).toBe(KUSTO_TYPE[type]);
  });

  it('names its schema and version, and PostgreSQL as vendor and product', () => {
    const text = body(PARSERS.find((p) => p.schema === schema && !p.uses)!.alias);
    expect(text).toContain(`EventSchema = "${schema}"`);
    expect(text).toContain(`EventSchemaVersion = "${fields.schemaVersion}"`);
    expect(text).toContain('EventVendor = "PostgreSQL"');
    expect(text).toContain('EventProduct = "PostgreSQL"');
  });
});

/** The literals a field can be set to: a literal, the results of case()/iff(), recursively. */
function results(n: any): string[] {
  const k = syntaxKindName(n);
  if (k === 'StringLiteralExpression') return [String(n.LiteralValue)];
  if (k === 'ParenthesizedExpression') return results(n.Expression);
  if (k !== 'FunctionCallExpression') return [];
  const args: any[] = [];
  for (let i = 0; i < n.ArgumentList.Expressions.Count; i++) args.push(n.ArgumentList.Expressions.getItem(i).Element);
  const fn = String(n.Name.SimpleName);
  if (fn === 'case') return args.filter((_, i) => i % 2 === 1 || i === args.length - 1).flatMap(results);
  if (fn === 'iff' || fn === 'iif') return args.slice(1).flatMap(results);
  return [];
}

function assigned(query: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  walkSyntax(parseSyntax(query), (n: any) => {
    if (syntaxKindName(n) !== 'SimpleNamedExpression') return;
    const name = String(n.Name.SimpleName);
    out.set(name, [...(out.get(name) ?? []), ...results(n.Expression)]);
  });
  return out;
}

describe.each(PARSERS.filter((p) => !p.uses))('$alias values', ({ alias, schema }) => {
  const fields = ASIM_FIELDS[schema]!;
  const set = assigned(body(alias));

  it.each([...fields.mandatory, ...fields.recommended, ...fields.project].filter((f) => f.values))('sets $name only to values the schema allows', ({ name, values }) => {
    for (const v of set.get(name) ?? []) expect(values, `${name} = "${v}"`).toContain(v);
  });

  it('compares Command, Class, EventType and SqlState only with values the real server writes', () => {
    const literals = columnLiterals(body(alias));
    expect(literals.length).toBeGreaterThan(0);
    for (const l of literals) expect(occurs(l, ALL_STYLE_ROWS), `${l.column} ${l.op} "${l.value}"`).toBe(true);
  });
});

it('the value check fails on a value the schema does not allow', () => {
  expect(assigned('print EventResultDetails = case(x == 1, "Wrong password", "Other")').get('EventResultDetails')).toEqual(['Wrong password', 'Other']);
  expect(ASIM_FIELDS.Authentication!.recommended.find((f) => f.name === 'EventResultDetails')!.values).not.toContain('Wrong password');
});
/* eslint-enable */
