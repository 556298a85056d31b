// Every Bicep file builds and lints with zero diagnostics (bicepconfig.json raises the important
// rules to errors), with the real Bicep CLI. Skips without the CLI locally; required in CI.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireOrSkip } from '../helpers/tools.js';
import { bicepFiles, bicepPath, INFRA, runBicep } from './bicep.js';

const MISSING = 'Bicep CLI not installed (scripts/install-bicep.sh restores it from NuGet)';

describe.each(bicepFiles())('%s', (file) => {
  const name = path.relative(INFRA, file);
  it(`${name}: bicep build has no diagnostics`, (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING);
    const r = runBicep(['build', file, '--stdout']);
    expect(r.stderr.trim()).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('resources');
  });

  it(`${name}: bicep lint has no diagnostics`, (ctx) => {
    requireOrSkip(ctx, bicepPath() !== null, MISSING);
    const r = runBicep(['lint', file]);
    expect(r.stdout.trim() + r.stderr.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});

it('the linter configuration is in force: a file breaking a rule fails lint', (ctx) => {
  requireOrSkip(ctx, bicepPath() !== null, MISSING);
  const r = runBicep(['lint', path.join(INFRA, '..', 'test/infra/fixtures/unused-param.bicep')]);
  expect(r.stdout + r.stderr).toMatch(/no-unused-params/);
  expect(r.status).not.toBe(0);
});
