// `pgaudit-ingest ship | backfill | replay | status` as separate processes against the real parts.
import { describe, expect, it } from 'vitest';
import { STREAM_NAME } from '../../src/schema.js';
import { runCli } from '../helpers/cli-process.js';
import { TEST_RULE_ID } from '../support/stack.js';
import { acceptedFor, append, appendBlob, cliEnv, expectExactlyOnce, stackPerFile } from './harness.js';
import { bytesOf, hourBlob, serverPath, SessionScript } from './workload.js';

const stack = stackPerFile();
const env = (): NodeJS.ProcessEnv => cliEnv(stack);

const target = () => ['--endpoint', stack.ingestion.endpoint, '--rule-id', TEST_RULE_ID, '--stream', STREAM_NAME];
const currentHour = (): Date => {
  const n = new Date();
  return new Date(Date.UTC(n.getUTCFullYear(), n.getUTCMonth(), n.getUTCDate(), n.getUTCHours()));
};

describe('pgaudit-ingest ship / status', () => {
  it('ships a growing blob, then only what was appended; status shows the lag in between', async () => {
    const server = 'pg-cli-grow';
    const name = hourBlob(server, currentHour());
    const blob = await appendBlob(stack, name);
    const s = new SessionScript('7a1.1', 701, 'gina', 'crm', currentHour(), server);
    await append(blob, bytesOf([...s.connect(), ...s.audit(40)]));
    const args = ['--prefix', serverPath(server), '--state-container', 'cli-state', ...target()];

    const first = await runCli(['ship', ...args], env());
    expect(first.stderr).toMatch(/shipped 41 of 41 row\(s\)/);
    expect(first.code).toBe(0);

    const more = bytesOf([...s.audit(25), ...s.disconnect()]);
    await append(blob, more);
    const status = await runCli(['status', '--prefix', serverPath(server), '--state-container', 'cli-state', '--json'], env());
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout.trim())).toMatchObject({ blob: name, state: 'tracked', bytesBehind: more.length, rows: 41 });

    const second = await runCli(['ship', ...args], env());
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/shipped 26 of 26 row\(s\)/);
    expectExactlyOnce(acceptedFor(stack, server), s.expected, { otherRows: 2 });
    const after = await runCli(['status', '--prefix', serverPath(server), '--state-container', 'cli-state', '--json'], env());
    expect(JSON.parse(after.stdout.trim())).toMatchObject({ bytesBehind: 0, rows: 67 });
  });

  it('backfill ships only the hours in range, and not again on a re-run', async () => {
    const server = 'pg-cli-backfill';
    const hours = [new Date('2026-11-01T03:00:00Z'), new Date('2026-11-01T04:00:00Z'), new Date('2026-11-01T05:00:00Z')];
    const sessions = hours.map((h, i) => new SessionScript(`7a2.${i}`, 720 + i, 'hank', 'dw', h, server));
    for (const [i, h] of hours.entries()) await append(await appendBlob(stack, hourBlob(server, h)), bytesOf([...sessions[i]!.connect(), ...sessions[i]!.audit(10), ...sessions[i]!.disconnect()]));
    const args = ['backfill', '--from', '2026-11-01T04:00Z', '--to', '2026-11-01T06:00Z', '--prefix', serverPath(server), '--state-container', 'cli-state', ...target()];
    const run = await runCli(args, env());
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/2 blob\(s\) of 1 server/);
    expectExactlyOnce(acceptedFor(stack, server), [...sessions[1]!.expected, ...sessions[2]!.expected], { otherRows: 4 });
    const again = await runCli(args, env());
    expect(again.stderr).toMatch(/shipped 0 of 0 row/);
    expect(acceptedFor(stack, server)).toHaveLength(24);
  });

  it('a permanent 400 dead-letters the batch with its reason; replay then delivers it exactly once', async () => {
    const server = 'pg-cli-dead';
    const s = new SessionScript('7a3.1', 731, 'ivy', 'pay', new Date('2026-11-02T07:00:00Z'), server);
    await append(await appendBlob(stack, hourBlob(server, new Date('2026-11-02T07:00:00Z'))), bytesOf([...s.connect(), ...s.audit(30), ...s.disconnect()]));
    stack.ingestion.setOnRequest((rows) => (rows.some((r) => r.ServerName === server) ? { status: 400, body: 'InvalidPayload: poison' } : null));
    const args = ['--prefix', serverPath(server), '--state-container', 'cli-state', '--deadletter-container', 'cli-dead', ...target()];
    const ship = await runCli(['ship', ...args], env());
    stack.ingestion.setOnRequest(undefined);
    expect(ship.code).toBe(0);
    expect(ship.stderr).toMatch(/dead-lettered 32/);
    expect(ship.stderr).toMatch(/run `pgaudit-ingest replay`/);
    expect(acceptedFor(stack, server)).toEqual([]);

    const deadNames: string[] = [];
    for await (const b of stack.blobs.getContainerClient('cli-dead').listBlobsFlat()) deadNames.push(b.name);
    expect(deadNames).toHaveLength(1);
    const header = JSON.parse((await stack.blobs.getContainerClient('cli-dead').getBlobClient(deadNames[0]!).downloadToBuffer()).toString().split('\n')[0]!) as Record<string, unknown>;
    expect(header).toMatchObject({ pgauditDeadLetter: 1, status: 400, rows: 32, sourceBlob: hourBlob(server, new Date('2026-11-02T07:00:00Z')) });
    expect(String(header.body)).toContain('poison');

    const dry = await runCli(['replay', '--dry-run', ...args.slice(2)], env());
    expect(dry.stderr).toMatch(/1 dead-letter file/);
    expect(acceptedFor(stack, server)).toEqual([]);
    const replay = await runCli(['replay', ...args.slice(2)], env());
    expect(replay.code).toBe(0);
    expect(replay.stderr).toMatch(/32 row\(s\) accepted, 0 refused again/);
    expectExactlyOnce(acceptedFor(stack, server), s.expected, { otherRows: 2 });
    const left: string[] = [];
    for await (const b of stack.blobs.getContainerClient('cli-dead').listBlobsFlat()) left.push(b.name);
    expect(left).toEqual([]);
  });

  it.each([
    { name: 'no storage', args: ['ship', '--endpoint', 'https://x', '--rule-id', TEST_RULE_ID], env: { PGAUDIT_LOGS_STORAGE: '' }, code: 2, message: /--storage: is required but not set/ },
    { name: 'http endpoint', args: ['ship', '--endpoint', 'http://x.example', '--rule-id', TEST_RULE_ID], env: {}, code: 2, message: /--endpoint: must be the https:\/\/ Logs Ingestion endpoint/ },
    { name: 'bad rule id', args: ['ship', '--endpoint', 'https://x.example', '--rule-id', 'mydcr'], env: {}, code: 2, message: /--rule-id: must be the DCR immutable id/ },
    { name: 'bad backfill time', args: ['backfill', '--from', 'last tuesday', '--endpoint', 'https://x.example', '--rule-id', TEST_RULE_ID], env: {}, code: 2, message: /--from must be a date\/time/ },
  ])('refuses $name with exit $code and a clear message', async ({ args, env: extra, code, message }) => {
    const run = await runCli(args, { ...env(), ...extra });
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });

  it('a wrong DCR id stops the run with exit 1 and a hint, without dead-lettering', async () => {
    const server = 'pg-cli-404';
    await append(await appendBlob(stack, hourBlob(server, new Date('2026-11-03T01:00:00Z'))), bytesOf(new SessionScript('7a4.1', 741, 'jo', 'x', new Date('2026-11-03T01:00:00Z'), server).connect()));
    const run = await runCli(['ship', '--prefix', serverPath(server), '--state-container', 'cli-state', '--endpoint', stack.ingestion.endpoint, '--rule-id', 'dcr-ffffffffffffffffffffffffffffffff'], env());
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/HTTP 404.*check the DCR immutable id \(PGAUDIT_DCR_IMMUTABLE_ID, --rule-id\)/);
    expect(run.stderr).toMatch(/nothing was dead-lettered/);
  });
});
