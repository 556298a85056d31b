// The CLI against failing parts, as separate processes: `check` names each problem and its fix;
// an outage makes `ship` exit 1 without dead-lettering; killing `ship` leaves no process behind.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_STREAM_NAME } from '../../src/run-record-schema.js';
import { STREAM_NAME } from '../../src/schema.js';
import { runCli } from '../helpers/cli-process.js';
import { closedPort } from '../helpers/closed-port.js';
import { azuriteConnectionString } from '../support/azurite.js';
import { TEST_RULE_ID } from '../support/stack.js';
import { append, appendBlob, cliEnv, LOGS, stackPerFile } from './harness.js';
import { bytesOf, hourBlob, serverPath, SessionScript } from './workload.js';

const stack = stackPerFile();
const env = (): NodeJS.ProcessEnv => cliEnv(stack);

const target = (endpoint = stack.ingestion.endpoint, ruleId = TEST_RULE_ID) => ['--endpoint', endpoint, '--rule-id', ruleId, '--stream', STREAM_NAME];


describe('pgaudit-ingest check', () => {
  it('passes every check against working parts (and the empty upload ingests nothing)', async () => {
    const before = stack.ingestion.accepted.length;
    const run = await runCli(['check', ...target()], env());
    expect(run.stdout.split('\n').filter((l) => l.startsWith('ok   ')).map((l) => l.split(':')[0])).toEqual([
      `ok   ingestion ${STREAM_NAME}`, `ok   ingestion ${RUN_STREAM_NAME}`, `ok   logs ${LOGS}`, 'ok   state pgaudit-state', 'ok   dead letters pgaudit-deadletter',
    ]);
    expect(run.code).toBe(0);
    expect(stack.ingestion.requests.at(-1)).toMatchObject({ status: 204, rows: 0 });
    expect(stack.ingestion.accepted.length).toBe(before);
  });

  it.each([
    { name: 'a wrong DCR id', args: () => target(stack.ingestion.endpoint, 'dcr-ffffffffffffffffffffffffffffffff'), fail: /FAIL ingestion Custom-PgAudit_CL: HTTP 404/, fix: /fix: the DCR or stream was not found/ },
    { name: 'a missing role on the DCR (403)', fault: 403, args: () => target(), fail: /FAIL ingestion Custom-PgAudit_CL: HTTP 403/, fix: /fix: the identity needs Monitoring Metrics Publisher on the DCR/ },
    { name: 'a missing logs container', args: () => [...target(), '--container', 'no-such-logs'], fail: /FAIL logs no-such-logs: cannot read/, fix: /fix: container no-such-logs does not exist/ },
    { name: 'a storage key the account refuses (403)', env: () => ({ PGAUDIT_LOGS_STORAGE: azuriteConnectionString(stack.azurite.port).replace(/AccountKey=[^;]+/, `AccountKey=${Buffer.from('wrong key').toString('base64')}`) }), args: () => target(), fail: /FAIL logs insights-logs-postgresqllogs: cannot read/, fix: /fix: the identity needs Storage Blob Data Reader on the logs account/ },
  ])('names the problem and its fix: $name', async ({ args, fault, fail, fix, env: extra }) => {
    if (fault) stack.ingestion.setOnRequest((rows) => (rows.length === 0 ? { status: fault } : null));
    const run = await runCli(['check', ...args()], { ...env(), ...extra?.() });
    stack.ingestion.setOnRequest(undefined);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(fail);
    expect(run.stdout).toMatch(fix);
    expect(run.stderr).toMatch(/check\(s\) passed; fix the \d failed one\(s\) above/);
  });

  it('an unreachable endpoint', async () => {
    const run = await runCli(['check', ...target(`https://127.0.0.1:${await closedPort()}`)], env());
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL ingestion Custom-PgAudit_CL: no answer: .*ECONNREFUSED/);
    expect(run.stdout).toMatch(/fix: check PGAUDIT_INGESTION_ENDPOINT \(--endpoint\)/);
  });
});

describe('pgaudit-ingest check of the server queue', () => {
  it('is checked when the state connection names a queue service, and names its fix', async () => {
    const state = azuriteConnectionString(stack.azurite.port, await closedPort());
    const run = await runCli(['check', ...target()], { ...env(), PGAUDIT_STATE_STORAGE: state });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL queue pgaudit-servers: cannot read/);
    expect(run.stdout).toMatch(/fix: check PGAUDIT_STATE_STORAGE \(its queue service\) and PGAUDIT_QUEUE_NAME \(--queue\)/);
    expect(run.stdout).toMatch(/ok {3}state pgaudit-state/); // the blob service of the same connection works
  });

  it('is left out, and says so, when the connection names no queue service', async () => {
    const run = await runCli(['check', ...target()], env());
    expect(run.stdout).not.toMatch(/queue pgaudit-servers/);
    expect(run.stderr).toMatch(/queue pgaudit-servers not checked \(only the Functions app uses it\)/);
  });
});

describe('pgaudit-ingest ship when the endpoint is down', () => {
  it('exits 1 with the stop and its hint; nothing is dead-lettered', async () => {
    const server = 'pg-cli-500';
    const s = new SessionScript('7b1.1', 771, 'kim', 'erp', new Date('2026-11-04T02:00:00Z'), server);
    await append(await appendBlob(stack, hourBlob(server, new Date('2026-11-04T02:00:00Z'))), bytesOf([...s.connect(), ...s.audit(5)]));
    stack.ingestion.setOnRequest((rows) => (rows.some((r) => r.ServerName === server) ? { status: 500 } : null));
    const run = await runCli(['ship', '--prefix', serverPath(server), '--state-container', 'faults-state', '--deadletter-container', 'faults-dead', '--upload-attempts', '2', ...target()], env());
    stack.ingestion.setOnRequest(undefined);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: .*PG-CLI-500.*upload failed 2 times \(last: HTTP 500/);
    expect(run.stderr).toMatch(/nothing was dead-lettered and the checkpoint was not moved/);
    expect(run.stderr).toMatch(/dead-lettered 0/);
  });
});

/** Processes whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(path.join('/proc', pid, 'cmdline'), 'utf8').includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('killing the command', () => {
  it('SIGKILL of the pgaudit-ingest process leaves nothing running', async () => {
    const server = 'pg-cli-kill';
    const s = new SessionScript('7b2.1', 772, 'lea', 'crm', new Date('2026-11-04T03:00:00Z'), server);
    await append(await appendBlob(stack, hourBlob(server, new Date('2026-11-04T03:00:00Z'))), bytesOf([...s.connect(), ...s.audit(5)]));
    let uploading = false;
    stack.ingestion.setOnRequest((rows) => (rows.some((r) => r.ServerName === server) ? ((uploading = true), { delayMs: 30_000 }) : null));
    const marker = serverPath(server);
    const child = spawn(process.execPath, [path.resolve(import.meta.dirname, '../../bin/pgaudit-ingest.js'), 'ship', '--prefix', marker, '--state-container', 'kill-state', ...target()], {
      env: { ...process.env, ...env() },
      stdio: 'ignore',
    });
    try {
      const deadline = Date.now() + 20_000;
      while (!uploading && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(uploading, 'the upload is in flight (the endpoint holds it)').toBe(true);
      expect(processesWith(marker).length).toBeGreaterThan(0);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      await new Promise((r) => setTimeout(r, 500));
      expect(processesWith(marker)).toEqual([]);
    } finally {
      stack.ingestion.setOnRequest(undefined);
      for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
    }
  });
});
