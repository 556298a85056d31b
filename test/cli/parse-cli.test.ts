import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { COLUMN_NAMES } from '../../src/schema.js';
import { runCli } from '../helpers/cli-process.js';
import { azureLine } from '../helpers/azure-record.js';

const ROOT = join(import.meta.dirname, '..', '..');

async function run(args: string[], stdinText: string | Buffer = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  stdin.end(stdinText);
  const code = await main(args, { stdin, stdout, stderr, stderrIsTty: false });
  return { code, stdout: out, stderr: err };
}

const dir = mkdtempSync(join(tmpdir(), 'pgaudit-cli-'));
const audit = (n: number): string =>
  azureLine({ message: `2026-07-02 03:00:06 UTC-1.${n}-LOG:  AUDIT: SESSION,1,1,ROLE,ALTER ROLE,,,ALTER ROLE u PASSWORD 'pw${n}',<none>`, processId: n });
const blob = join(dir, 'PT1H.json');
writeFileSync(blob, [audit(1), 'junk', audit(2)].join('\r\n') + '\r\n');

describe('pgaudit-ingest parse', () => {
  it('writes one NDJSON row per row with exactly the PgAudit_CL columns, and a summary on stderr', async () => {
    const r = await run(['parse', blob]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((x) => x.EventType)).toEqual(['AUDIT', 'UNPARSED', 'AUDIT']);
    for (const row of rows) expect(Object.keys(row)).toEqual(COLUMN_NAMES);
    expect(rows[0]!.TimeGenerated).toBe('2026-07-02T03:00:06.467Z');
    expect(rows[0]!.Statement).toBe('ALTER ROLE u PASSWORD <REDACTED>');
    expect(r.stdout).not.toMatch(/pw1|pw2/);
    expect(r.stderr).toMatch(/read 1 file\(s\), .* 3 lines, 2 records/);
    expect(r.stderr).toMatch(/rows 3: AUDIT 2, ERROR 0, AUTH_FAILURE 0, CONNECT 0, DISCONNECT 0, GAP 0, UNPARSED 1/);
    expect(r.stderr).toMatch(/unparsed 1, redacted 2/);
  });

  it('prints a JSON summary on request, reads stdin and .gz, and carries sessions across files', async () => {
    const gz = join(dir, 'PT1H.json.gz');
    writeFileSync(gz, gzipSync(audit(3) + '\n'));
    const r = await run(['parse', '--summary', 'json', blob, '-', gz], audit(4) + '\n');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stderr.trim()) as { files: number; rows: number; rowsByEventType: Record<string, number>; redacted: number };
    expect(summary).toMatchObject({ files: 3, rows: 5, redacted: 4 });
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { SourceBlob: string }).SourceBlob)).toEqual([blob, blob, blob, 'stdin', gz]);
  });

  it('parses the bundled sample when no FILE is given', async (ctx) => {
    if (!existsSync(join(ROOT, 'samples', 'pgaudit-flexible-PT1H.json'))) ctx.skip('bundled sample not generated yet');
    const r = await run(['parse']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/no FILE given; parsing the bundled sample/);
    expect(r.stdout.split('\n').filter((l) => l.includes('"EventType":"AUDIT"')).length).toBeGreaterThan(50);
    expect(r.stderr).toMatch(/unparsed 0,/);
  });

  it.each([
    { args: ['parse', '/nonexistent/PT1H.json'], code: 1, err: /\/nonexistent\/PT1H.json: no such file/ },
    { args: ['parse', dir], code: 1, err: /not a regular file/ },
    { args: ['parse', '--statement-cap', 'ten', blob], code: 2, err: /--statement-cap: must be a whole number from 100 to 60000 \(got "ten"\)/ },
    { args: ['parse', '--server-prefix', 'noequals', blob], code: 2, err: /--server-prefix: expects SERVER=PREFIX/ },
    { args: ['parse', '-p', '%', blob], code: 2, err: /--log-line-prefix: ends with a lone "%" .*write %% for a literal percent sign/ },
    { args: ['parse', '-p', '%m [%p] %-', blob], code: 2, err: /--log-line-prefix: ends with a lone "%-"/ },
    { args: ['parse', '-o', '/nonexistent/dir/rows.ndjson', blob], code: 1, err: /cannot write \/nonexistent\/dir\/rows.ndjson: its directory does not exist \(pass -o a path/ },
    { args: ['parse', '--worker', 'on', '-o', '/nonexistent/dir/rows.ndjson', blob], code: 1, err: /cannot write \/nonexistent\/dir\/rows.ndjson: its directory does not exist/ },
    { args: ['parse', '-o', '/dev/full', blob], code: 1, err: /cannot write \/dev\/full: .*ENOSPC.* \(check the path, its permissions and the free space\)/ },
    { args: ['parse', '--worker', 'on', '-o', '/dev/full', blob], code: 1, err: /cannot write \/dev\/full: .*ENOSPC/ },
    { args: ['parse', '--redact', '(', blob], code: 2, err: /redaction pattern 1 "\(" is not usable/ },
    { args: ['parse', '--summary', 'xml', blob], code: 2, err: /Allowed choices are text, json/ },
    { args: ['parse', '--worker', 'maybe', blob], code: 2, err: /Allowed choices are auto, on, off/ },
    { args: ['parse', '--bogus'], code: 2, err: /unknown option '--bogus'/ },
    { args: ['frobnicate'], code: 2, err: /unknown command 'frobnicate'/ },
    { args: [], code: 2, err: /Usage: pgaudit-ingest/ },
  ])('fails clearly: $args', async ({ args, code, err }) => {
    const r = await run(args);
    expect(r.code).toBe(code);
    expect(r.stderr + r.stdout).toMatch(err);
  });

  it('decodes in a worker thread (--worker on) to exactly the rows and summary of one thread', async () => {
    // Two hourly blobs of a real server (a session spans both), a gzipped copy, stdin in between
    // (always read in the main thread) and a line past the 8 MiB line limit.
    const fixtures = ['h00', 'h01'].map((h) => join(ROOT, 'test', 'fixtures', 'pg15', 'azure-default', `${h}.PT1H.json`));
    const gz = join(dir, 'h01-copy.PT1H.json.gz');
    writeFileSync(gz, gzipSync(readFileSync(fixtures[1]!)));
    const huge = join(dir, 'huge.PT1H.json');
    writeFileSync(huge, [audit(5), 'x'.repeat(9 * 1024 * 1024), audit(6)].join('\n'));
    const args = ['parse', '--summary', 'json', fixtures[0]!, '-', fixtures[1]!, gz, huge];
    const one = await run([...args, '--worker', 'off'], audit(7) + '\n');
    const two = await run([...args, '--worker', 'on'], audit(7) + '\n');
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    const summary = (r: { stderr: string }): Record<string, unknown> => ({ ...(JSON.parse(r.stderr) as Record<string, unknown>), seconds: 0 });
    expect(summary(two)).toEqual(summary(one));
    expect(summary(two)).toMatchObject({ files: 5, truncatedLines: 1 });
    expect(one.stdout.split('\n').length).toBeGreaterThan(100);
  });

  it('reports a file the worker cannot read', async () => {
    const broken = join(dir, 'broken.PT1H.json.gz');
    writeFileSync(broken, Buffer.concat([gzipSync(audit(8) + '\n').subarray(0, 20), Buffer.from('not gzip')]));
    const r = await run(['parse', '--worker', 'on', broken]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken.PT1H.json.gz: read failed: .+/);
  });

  it('warns about an empty prefix (legal in PostgreSQL, but it names no session or user)', async () => {
    const r = await run(['parse', '-p', '', blob]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: log_line_prefix is empty/);
  });

  it('recognises gzip on stdin by its magic bytes, and a gzip file whatever its name', async () => {
    const gz = gzipSync(audit(5) + '\n' + audit(6) + '\n');
    const fromStdin = await run(['parse', '--summary', 'json', '-'], gz);
    expect(JSON.parse(fromStdin.stderr.trim())).toMatchObject({ rows: 2, unparsed: 0 });
    const misnamed = join(dir, 'gzipped-without-extension.json');
    writeFileSync(misnamed, gz);
    for (const worker of ['on', 'off']) {
      const r = await run(['parse', '--summary', 'json', '--worker', worker, misnamed]);
      expect(JSON.parse(r.stderr.trim()), worker).toMatchObject({ rows: 2, unparsed: 0 });
    }
  });

  it('warns about a prefix that does not fit the lines', async () => {
    const r = await run(['parse', '-p', '%m [%p] ', blob]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/2 line\(s\) did not match log_line_prefix "%m \[%p\] "/);
  });

  it('documents the escapes in --help', async () => {
    const r = await run(['parse', '--help']);
    expect(r.code).toBe(0);
    for (const e of ['%a', '%u', '%d', '%r', '%h', '%b', '%p', '%P', '%t', '%m', '%n', '%i', '%e', '%c', '%l', '%s', '%v', '%x', '%Q']) expect(r.stdout).toContain(`  ${e}  `);
  });
});

describe('the installed command', () => {
  const bin = join(ROOT, 'bin', 'pgaudit-ingest.js');
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'src', 'cli.js'))) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
  });

  it('exits 0 with rows on stdout and the summary on stderr; 1 for a missing file', () => {
    const ok = spawnSync(process.execPath, [bin, 'parse', blob], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout.trim().split('\n')).toHaveLength(3);
    expect(ok.stderr).toMatch(/rows 3/);
    const bad = spawnSync(process.execPath, [bin, 'parse', join(dir, 'missing.json')], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/missing.json: no such file/);
  });

  it('writes to --output', () => {
    const outFile = join(dir, 'rows.ndjson');
    const r = spawnSync(process.execPath, [bin, 'parse', '-o', outFile, blob], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(readFileSync(outFile, 'utf8').trim().split('\n')).toHaveLength(3);
  });
});

describe('parse --exclude', () => {
  it('leaves rows out and counts them per rule in the summary', async () => {
    const r = await run(['parse', '--summary', 'json', '--exclude', 'Command=ALTER ROLE', blob]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stderr.trim())).toMatchObject({ rows: 1, filtered: 2, filteredByRule: { 'Command=ALTER ROLE': 2 } });
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { EventType: string }).EventType)).toEqual(['UNPARSED']);
  });
});

describe('the launcher', () => {
  it.for([
    { name: 'not a number', value: 'abc', problem: 'must be a whole number from 0 to 65536' },
    { name: 'above its limit', value: '70000', problem: 'must be at most 65536' },
  ])('refuses a heap cap setting that is $name, as every setting is refused (exit 2, the name and the limits)', async ({ value, problem }) => {
    const run = await runCli(['status', '--storage', 'UseDevelopmentStorage=true'], { PGAUDIT_INGEST_HEAP_MB: value });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`PGAUDIT_INGEST_HEAP_MB: ${problem} (got "${value}")`);
  });
});
