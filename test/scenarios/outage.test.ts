// Failures that must stop a run, not dead-letter it (issue 10): an endpoint that answers 500
// forever, one that is unreachable, one that never answers. In each case nothing is
// dead-lettered, the checkpoint stays where the last complete write left it, the run reports the
// stop, the lease is released, and after recovery every row arrives exactly once.
import { describe, expect, it } from 'vitest';
import { defaultCredential } from '../../src/config/azure-clients.js';
import { ingestionTransport } from '../../src/ship/ship-clients.js';
import { RUN_STREAM_NAME } from '../../src/run-record-schema.js';
import { planFromListing } from '../../src/ship/plan.js';
import { recordedRun } from '../../src/ship/recorded-run.js';
import { newRunInfo } from '../../src/ship/run-records.js';
import { StateStore } from '../../src/state/state-store.js';
import { closedPort } from '../helpers/closed-port.js';
import { trustingClientOptions } from '../support/logs-ingestion-endpoint.js';
import { acceptedFor, append, appendBlob, expectExactlyOnce, scenario, shipListed, stackPerFile, type Scenario } from './harness.js';
import { bytesOf, hourBlob, serverPath, SessionScript } from './workload.js';

const stack = stackPerFile();

const HOUR = new Date('2026-11-05T10:00:00Z');
const at = (minutes: number): Date => new Date(HOUR.getTime() + minutes * 60_000);
const FAST = { now: () => at(30), flushBytes: 20_000, uploadAttempts: 3, sinkOptions: { retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50, retryStatuses: [408, 429] } } };


const ship = (sc: Scenario, server: string) => shipListed(sc, serverPath(server));

async function offsetOf(sc: Scenario, blob: string): Promise<number | undefined> {
  const { states, problems } = await sc.ctx.store.listServers();
  expect(problems).toEqual([]);
  return states.flatMap((s) => Object.entries(s.blobs)).find(([name]) => name === blob)?.[1].offset;
}

async function deadLetterCount(sc: Scenario): Promise<number> {
  const names: string[] = [];
  for await (const name of sc.ctx.deadLetters.list()) names.push(name);
  return names.length;
}

async function leaseState(sc: Scenario, server: string): Promise<string | undefined> {
  return (await sc.ctx.store.container.getBlobClient(StateStore.serverDocName(serverPath(server))).getProperties()).leaseState;
}

/** Ships the first part, then appends the rest: the outage hits a blob with a checkpoint. */
async function halfShipped(sc: Scenario, server: string): Promise<{ s: SessionScript; name: string; offset: number }> {
  const name = hourBlob(server, HOUR);
  const blob = await appendBlob(stack, name);
  const s = new SessionScript(`6b${server.length}.1`, 800 + server.length, 'olga', 'ledger', at(1), server, 400);
  await append(blob, bytesOf([...s.connect(), ...s.audit(40)]));
  expect((await ship(sc, server)).errors).toEqual([]);
  const offset = (await offsetOf(sc, name))!;
  expect(offset).toBeGreaterThan(0);
  await append(blob, bytesOf([...s.audit(200), ...s.disconnect()]));
  return { s, name, offset };
}

/** The stop every outage must end in: the code, no dead letter, the checkpoint unmoved, the lease free. */
async function expectStopped(down: Awaited<ReturnType<typeof ship>>, sc: Scenario, server: string, checkpoint: { name: string; offset: number }, detail: RegExp): Promise<void> {
  expect(down.errors.map((e) => e.code)).toEqual(['IngestionUnavailable']);
  expect(down.errors[0]!.message).toMatch(detail);
  expect(down.errors[0]!.hint).toMatch(/nothing was dead-lettered/);
  expect(down.stoppedBy?.code).toBe('IngestionUnavailable');
  expect(down.deadLettered).toBe(0);
  expect(await deadLetterCount(sc)).toBe(0);
  expect(await offsetOf(sc, checkpoint.name)).toBe(checkpoint.offset);
  expect(await leaseState(sc, server)).toBe('available');
}

describe('an outage stops the run; nothing is dead-lettered', () => {
  it('500 forever: the run stops with IngestionUnavailable, the checkpoint stays, recovery ships exactly once', async () => {
    const server = 'pg-out-500';
    const sc = await scenario(stack, FAST);
    const { s, ...checkpoint } = await halfShipped(sc, server);
    stack.ingestion.setOnRequest((rows) => (rows.some((r) => r.ServerName === server) ? { status: 500 } : null));
    const down = await ship(sc, server);
    stack.ingestion.setOnRequest(undefined);
    await expectStopped(down, sc, server, checkpoint, /upload failed 3 times \(last: HTTP 500/);

    expect((await ship(sc, server)).errors).toEqual([]);
    expectExactlyOnce(acceptedFor(stack, server), s.expected, { otherRows: 2 });
  });

  it('an unreachable endpoint (closed port): the same stop, then exactly once from a working endpoint', async () => {
    const server = 'pg-out-closed';
    const sc = await scenario(stack, FAST);
    const { s, ...checkpoint } = await halfShipped(sc, server);
    const unreachable = ingestionTransport(`https://127.0.0.1:${await closedPort()}`, defaultCredential(undefined), trustingClientOptions(stack.ingestion));
    const broken = await scenario(
      stack,
      { ...FAST, stateContainer: sc.ctx.store.container.containerName, deadLetterContainer: sc.ctx.deadLetters.container.containerName },
      { ...stack.clients(), ingestion: unreachable },
    );
    await expectStopped(await ship(broken, server), sc, server, checkpoint, /network: .*ECONNREFUSED/);

    expect((await ship(sc, server)).errors).toEqual([]);
    expectExactlyOnce(acceptedFor(stack, server), s.expected, { otherRows: 2 });
  });

  it('an endpoint that never answers: each attempt times out, the run stops within its attempts, the lease is free at once', async () => {
    const server = 'pg-out-hang';
    const sc = await scenario(stack, { ...FAST, uploadTimeoutMs: 300 });
    const { s, ...checkpoint } = await halfShipped(sc, server);
    stack.ingestion.setOnRequest((rows) => (rows.some((r) => r.ServerName === server) ? { delayMs: 20_000 } : null));
    const started = Date.now();
    const down = await ship(sc, server);
    stack.ingestion.setOnRequest(undefined);
    expect(Date.now() - started).toBeLessThan(10_000);
    await expectStopped(down, sc, server, checkpoint, /timeout/);

    // The abandoned requests may still have been answered late: re-sent rows carry the same RecordId.
    await new Promise((r) => setTimeout(r, 200));
    expect((await ship(sc, server)).errors).toEqual([]);
    expectExactlyOnce(acceptedFor(stack, server), s.expected, { otherRows: 2, duplicatesAllowed: true });
  });

  it('an endpoint that never answers: the whole run, run records included, ends within its budget and one upload timeout', async () => {
    // Measured before the run clock, with the defaults (8 min budget, 60 s timeout, 6 attempts):
    // the rows gave up at 388 s, then the run records waited out the same outage with their own
    // six attempts, and the run ended at 782 s, past host.json's 600 s. Here the same at small scale.
    const server = 'pg-out-budget';
    const budgetMs = 1500;
    const uploadTimeoutMs = 600;
    const sc = await scenario(stack, { ...FAST, budgetMs, uploadTimeoutMs, uploadAttempts: 6, sinkOptions: { retry: { maxAttempts: 6, baseDelayMs: 10, maxDelayMs: 50, retryStatuses: [408, 429] } } });
    const { name, offset } = await halfShipped(sc, server);
    let recordAttempts = 0;
    stack.ingestion.setOnRequest((rows, _i, { stream }) => {
      if (stream === RUN_STREAM_NAME) recordAttempts++;
      return stream === RUN_STREAM_NAME || rows.some((r) => r.ServerName === server) ? { delayMs: 20_000 } : null;
    });
    const started = Date.now();
    const plan = await planFromListing(sc.ctx.deps.source, sc.ctx.store, serverPath(server), at(30), sc.ctx.config.lookbackMs);
    const { summary, records, delivery } = await recordedRun(sc.ctx, plan, newRunInfo('ship'));
    const elapsed = Date.now() - started;
    stack.ingestion.setOnRequest(undefined);
    // Every request has ended by budget + one timeout; what follows is storage I/O (checkpoint, lease).
    expect(elapsed).toBeLessThan(budgetMs + uploadTimeoutMs + 1000);
    expect(summary.stoppedBy?.code).toMatch(/^(IngestionUnavailable|RunBudgetSpent)$/);
    expect(summary.deadLettered).toBe(0);
    expect(await offsetOf(sc, name)).toBe(offset);
    // The run records tried once, within what was left, and went to the log with their fields.
    expect(recordAttempts).toBe(1);
    expect(delivery).toEqual({ sent: 0, failed: records.length });
    expect(sc.messages.filter((m) => m.includes('"event":"pgaudit-ingest.runRecord"'))).toHaveLength(records.length);
    expect(await leaseState(sc, server)).toBe('available');
  });

  it('one server stopping the run leaves the others not started, and says so', async () => {
    const sc = await scenario(stack, { ...FAST, concurrency: 1 });
    for (const server of ['pg-out-a1', 'pg-out-a2', 'pg-out-a3']) {
      const s = new SessionScript(`6c${server.at(-1)}.1`, 900, 'x', 'y', at(1), server);
      await append(await appendBlob(stack, hourBlob(server, HOUR)), bytesOf([...s.connect(), ...s.audit(5)]));
    }
    stack.ingestion.setOnRequest((rows) => (rows.some((r) => String(r.ServerName).startsWith('pg-out-a')) ? { status: 403 } : null));
    const down = await shipListed(sc, serverPath('pg-out-a').slice(0, -1));
    stack.ingestion.setOnRequest(undefined);
    expect(down.errors.map((e) => e.code)).toEqual(['IngestionForbidden']);
    expect(down.errors[0]!.hint).toMatch(/Monitoring Metrics Publisher on the DCR/);
    expect(down.notStarted).toHaveLength(2);
  });
});
