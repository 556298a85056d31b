// Runs `pgaudit-ingest` as a separate process, as a user would (async: the test's own servers
// must keep answering while it runs). The CLI trusts the test endpoint's self-signed certificate
// through NODE_EXTRA_CA_CERTS, and gets tokens from the managed-identity double via the
// IDENTITY_ENDPOINT/IDENTITY_HEADER variables already set in this process.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
// The compiled CLI (test/global-setup.ts builds dist/ first), exactly what the package bin runs.
const BIN = path.join(ROOT, 'bin/pgaudit-ingest.js');
const RSS_REPORTER = path.join(ROOT, 'test/helpers/report-max-rss.cjs');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Peak resident set size of the CLI process, in bytes. */
  readonly maxRssBytes: number;
}

export function caFile(pem: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'pgaudit-ca-')), 'ca.pem');
  writeFileSync(file, pem);
  return file;
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', RSS_REPORTER, BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // The launcher re-runs itself with a heap cap: each process reports; the largest counts.
      const reports = [...stderr.matchAll(/@@MAXRSS@@(\d+)@@CPU@@\d+\n/g)].map((m) => Number(m[1]) * 1024);
      resolve({ code: code ?? -1, stdout, stderr: stderr.replace(/@@MAXRSS@@\d+@@CPU@@\d+\n/g, ''), maxRssBytes: reports.length ? Math.max(...reports) : NaN });
    });
  });
}
