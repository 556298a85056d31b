// Every Bicep file builds and lints with zero diagnostics under infra/bicepconfig.json (which raises
// the important linter rules to errors), with the real Bicep CLI; and that configuration really
// fails files that break those rules. Skips without the CLI locally; required in CI.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireOrSkip } from '../helpers/tools.js';
import { bicepFiles, bicepPath, diagnosticsIn, INFRA, MISSING_BICEP, runBicep } from './bicep.js';

describe.each(bicepFiles().map((f) => path.relative(INFRA, f)))('%s', (name) => {
  const file = path.join(INFRA, name);

  it('bicep build reports no diagnostics', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const r = runBicep(['build', file, '--stdout']);
    expect(diagnosticsIn(r.stderr)).toEqual([]);
    expect(r.stderr.trim()).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('resources');
  });

  it('bicep lint reports no diagnostics', (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const r = runBicep(['lint', file]);
    expect(diagnosticsIn(r.stdout + r.stderr)).toEqual([]);
    expect((r.stdout + r.stderr).trim()).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('the linter configuration is in force', () => {
  // The broken files sit next to a copy of the real infra/bicepconfig.json (Bicep looks for the
  // configuration from the file's folder upwards), so the check cannot drift from the policy.
  const dir = mkdtempSync(path.join(tmpdir(), 'pgaudit-bicep-lint-'));
  copyFileSync(path.join(INFRA, 'bicepconfig.json'), path.join(dir, 'bicepconfig.json'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.for([
    { rule: 'no-unused-params', source: "param unused string = 'x'\n" },
    { rule: 'no-unused-vars', source: "var unused = 'x'\n" },
    { rule: 'no-hardcoded-env-urls', source: "output blob string = 'https://x.blob.core.windows.net/'\n" },
    {
      rule: 'outputs-should-not-contain-secrets',
      source: "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {\n  name: 'x'\n}\noutput key string = st.listKeys().keys[0].value\n",
    },
    { rule: 'secure-parameter-default', source: "@secure()\nparam password string = 'hunter2'\noutput length int = length(password)\n" },
  ])('$rule fails lint', ({ rule, source }, ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING_BICEP);
    const file = path.join(dir, `${rule}.bicep`);
    writeFileSync(file, source);
    const r = runBicep(['lint', file]);
    expect(diagnosticsIn(r.stdout + r.stderr).join('\n')).toMatch(new RegExp(`: Error ${rule}:`));
    expect(r.status).not.toBe(0);
  });
});
