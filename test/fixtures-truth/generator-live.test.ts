// The committed fixtures still describe the real server: the generator runs live (throwaway
// PostgreSQL 15 + pgAudit), proves its renderer against the server's stderr and compares the
// result with the committed set. Skips locally without PostgreSQL; required in CI.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { it, expect } from 'vitest';
import { serverAvailable } from '../../scripts/fixtures/server.js';
import { requireOrSkip } from '../helpers/tools.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

it('the fixture generator reproduces the committed fixtures from a live server', async (ctx) => {
  requireOrSkip(ctx, serverAvailable(), 'PostgreSQL 15 with pgAudit is not installed (apt-get install postgresql-15 postgresql-15-pgaudit)');
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/fixtures/generate.ts', '--check'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stderr: err }));
  });
  expect(stderr).toMatch(/\d+ jsonlog entries \(all verified against stderr\)/);
  expect(stderr).toContain('fixtures match a live run');
  expect(code).toBe(0);
}, 180_000);
