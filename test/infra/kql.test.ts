// Every KQL text of the deployment (transform, alerts, saved queries, the PgAudit() function) is
// parsed and semantically checked by Kusto.Language against the PgAudit_CL schema (and `source`
// for the transform); and every query the templates carry comes from one of these checked files.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COLUMNS } from '../../src/schema.js';
import { checkKql, errorsOf } from '../helpers/kusto.js';
import { requireOrSkip } from '../helpers/tools.js';
import { armOf, bicepFiles, bicepPath, INFRA } from './bicep.js';

const KQL_DIR = path.join(INFRA, 'kql');
const files = readdirSync(KQL_DIR).filter((f) => f.endsWith('.kql'));
const text = (f: string): string => readFileSync(path.join(KQL_DIR, f), 'utf8');

describe('KQL files', () => {
  it.each(files)('%s has no errors', (file) => {
    const tables = file === 'transform.kql' ? { source: COLUMNS } : undefined;
    const errors = errorsOf(checkKql(text(file), tables));
    expect(errors).toEqual([]);
  });

  it.each([
    { name: 'an unknown column', query: 'PgAudit_CL | where Colour == "red"', code: 'KS142' },
    { name: 'a wrong type', query: 'PgAudit_CL | where StatementId > "ten" and Redacted == 1', code: undefined },
    { name: 'the wrong table', query: 'PgAudit | take 1', code: 'KS204' },
  ])('fails on $name', ({ query, code }) => {
    const errors = errorsOf(checkKql(query));
    expect(errors.length).toBeGreaterThan(0);
    if (code) expect(errors.map((e) => e.code)).toContain(code);
  });

  it('a parameter substituted the way the templates do it still checks', () => {
    const q = text('alert-sensitive-reads.kql').replace('let SensitiveTables = dynamic(["public.accounts"]);', `let SensitiveTables = dynamic(${JSON.stringify(['public.a', 'hr."Salaries, 2026"'])});`);
    expect(errorsOf(checkKql(q))).toEqual([]);
  });
});

describe('KQL in the templates', () => {
  it('every .kql file is loaded by some Bicep file, and the parameter defaults it replaces exist', () => {
    const bicep = bicepFiles().map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const f of files) expect(bicep, f).toContain(`kql/${f}`);
    // The search text of each replace(): the default `let` line (the replacement holds ${…}).
    for (const m of bicep.matchAll(/'(let \w+ = [^'$]*;)'/g)) {
      expect(files.some((f) => text(f).includes(m[1]!)), `${m[1]} is not in any .kql file`).toBe(true);
    }
  });

  it('the compiled templates carry exactly the checked texts', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, 'Bicep CLI not installed (scripts/install-bicep.sh)');
    const arm = JSON.stringify(armOf(path.join(INFRA, 'main.bicep')));
    for (const f of files) expect(arm.includes(JSON.stringify(text(f)).slice(1, -1)), `${f} not inlined in main.json`).toBe(true);
  });
});
