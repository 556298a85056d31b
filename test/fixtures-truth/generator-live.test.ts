// The committed fixtures still describe the real server: the generator runs live (throwaway
// PostgreSQL 15 + pgAudit), proves its renderer against the server's stderr and compares the
// result with the committed set. Skips locally without PostgreSQL; required in CI.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { serverAvailable } from '../../scripts/fixtures/server.js';
import { requireOrSkip } from '../helpers/tools.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

it('the fixture generator reproduces the committed fixtures from a live server', async (ctx) => {
  requireOrSkip(ctx, serverAvailable(), 'PostgreSQL 15 with pgAudit not installed; apt-get install postgresql-15 postgresql-15-pgaudit');
  const out = mkdtempSync(path.join(tmpdir(), 'pgaudit-fixtures-live-'));
  try {
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/fixtures/generate.ts', '--check', '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stderr: err }));
    });
    expect(stderr).toMatch(/\d+ jsonlog entries, all verified against stderr/);
    expect(stderr, stderr).toContain('the committed set matches a live run');
    expect(code).toBe(0);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
