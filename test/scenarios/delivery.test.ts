// Delivery scenarios over the real parts (Azurite, the real credential and ingestion client,
// the contract-enforcing endpoint): every expected row arrives exactly once.
import { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { onBlobCreated, onShipServer, onSweep, startUp, useRuntime, type Runtime } from '../../src/app/function-runtime.js';
import { hostQueueSettings } from '../../src/config/host-queue-settings.js';
import { loadSettings } from '../../src/config/settings.js';
import { planLookback } from '../../src/ship/plan.js';
import type { StateStore } from '../../src/state/state-store.js';
import { runShipping } from '../../src/ship/shipping-run.js';
import { drainQueue } from '../support/queue-host.js';
import { appSettingsEnv } from '../support/stack.js';
import { acceptedFor, append, appendBlob, expectExactlyOnce, LOGS, scenario, stackPerFile } from './harness.js';
import { bytesOf, hourBlob, serverPath, SessionScript } from './workload.js';

/** The live plan over the logs container; these scenarios have no unreadable server documents. */
async function planLive(store: StateStore, now: Date, lookbackMs: number, extraServers: string[] = []): Promise<Awaited<ReturnType<typeof planLookback>>['plan']> {
  const { plan, problems } = await planLookback(stack.blobs.getContainerClient(LOGS), store, now, lookbackMs, extraServers);
  expect(problems).toEqual([]);
  return plan;
}

const stack = stackPerFile({ queue: true });

const HOUR = new Date('2026-11-22T10:00:00Z');
const at = (minutes: number): Date => new Date(HOUR.getTime() + minutes * 60_000);

describe('delivery', () => {
  it('a blob appended in several steps, cut mid-line, ships each record once and closes after its hour', async () => {
    const server = 'pg-appends';
    let now = at(5);
    const { ctx } = await scenario(stack, { now: () => now });
    const blob = await appendBlob(stack, hourBlob(server, HOUR));
    const s = new SessionScript('6a1.1', 101, 'alice', 'sales', at(1), server);
    const all = bytesOf([...s.connect(), ...s.audit(30), ...s.noise(5), ...s.audit(30), ...s.disconnect()]);
    const cuts = [0, 1500, 1501, Math.floor(all.length / 2) + 7, all.length - 3, all.length];
    for (let i = 1; i < cuts.length; i++) {
      await append(blob, all.subarray(cuts[i - 1], cuts[i]));
      now = at(5 + i);
      const summary = await runShipping(await planLive(ctx.store, now, ctx.deps.options.lookbackMs, [serverPath(server)]), ctx.deps);
      expect(summary.busyServers).toEqual([]);
    }
    // The hour is over: one more sweep finds nothing new and marks the blob done.
    now = at(80);
    const last = await runShipping(await planLive(ctx.store, now, ctx.deps.options.lookbackMs), ctx.deps);
    expect(last.shipped).toBe(0);
    expect(last.blobs.some((b) => b.closed)).toBe(true);
    expectExactlyOnce(acceptedFor(stack, server), s.expected, { otherRows: 2 });
    const later = await runShipping(await planLive(ctx.store, at(200), ctx.deps.options.lookbackMs), ctx.deps);
    expect(later.blobs).toEqual([]); // the done blob is outside the lookback: not even listed
  });

  it('two sweeps racing on the same server never ship a record twice', async () => {
    const server = 'pg-race';
    const blob = await appendBlob(stack, hourBlob(server, HOUR));
    const sessions = Array.from({ length: 4 }, (_, i) => new SessionScript(`6a2.${i}`, 200 + i, `user${i}`, 'db', at(1), server, 400));
    await append(blob, bytesOf(sessions.flatMap((s) => [...s.connect(), ...s.audit(800), ...s.disconnect()])));
    const a = await scenario(stack, { now: () => at(30), flushBytes: 300_000 });
    // The second worker shares the first one's state container (same deployment, two instances).
    const b = await scenario(stack, { now: () => at(30), flushBytes: 300_000, stateContainer: a.ctx.store.container.containerName, deadLetterContainer: a.ctx.deadLetters.container.containerName });
    stack.ingestion.setOnRequest(() => ({ delayMs: 40 })); // slow enough for the sweeps to overlap
    const plan = () => planLive(a.ctx.store, at(30), 15 * 60_000, [serverPath(server)]);
    const [ra, rb] = await Promise.all([runShipping(await plan(), a.ctx.deps), runShipping(await plan(), b.ctx.deps)]);
    stack.ingestion.setOnRequest(undefined);
    expect(ra.busyServers.length + rb.busyServers.length).toBe(1);
    const again = await runShipping(await plan(), b.ctx.deps);
    expect(again.shipped).toBe(0);
    expectExactlyOnce(acceptedFor(stack, server), sessions.flatMap((s) => s.expected), { otherRows: 8 });
  });

  it('a crash between upload and checkpoint re-ships only that range, with equal RecordIds', async () => {
    const server = 'pg-crash';
    let crash = true;
    const { ctx } = await scenario(stack, {
      now: () => at(30),
      flushBytes: 200_000,
      afterUpload: (_blob, end) => {
        if (crash && end > 300_000) {
          crash = false;
          throw new Error('simulated crash after upload, before checkpoint');
        }
      },
    });
    const blob = await appendBlob(stack, hourBlob(server, HOUR));
    const s = new SessionScript('6a3.1', 301, 'carol', 'hr', at(1), server, 300);
    await append(blob, bytesOf([...s.connect(), ...s.audit(2500), ...s.disconnect()]));
    const plan = () => planLive(ctx.store, at(30), 15 * 60_000, [serverPath(server)]);
    const crashed = await runShipping(await plan(), ctx.deps);
    expect(crashed.errors.map((e) => [e.server, e.code])).toEqual([[serverPath(server), 'Unexpected']]);
    expect(crashed.errors[0]!.message).toMatch(/simulated crash/);
    expect((await runShipping(await plan(), ctx.deps)).errors).toEqual([]);
    const rows = acceptedFor(stack, server);
    const duplicates = rows.length - new Set(rows.map((r) => r.RecordId)).size;
    expect(duplicates).toBeGreaterThan(0); // the re-shipped range
    expectExactlyOnce(rows, s.expected, { otherRows: 2, duplicatesAllowed: true });
  });

  it('throttling and 5xx storms: every row once, nothing dead-lettered', async () => {
    const server = 'pg-storm';
    const { ctx } = await scenario(stack, { now: () => at(30), flushBytes: 150_000 });
    const blob = await appendBlob(stack, hourBlob(server, HOUR));
    const s = new SessionScript('6a4.1', 401, 'dave', 'ops', at(1), server, 300);
    await append(blob, bytesOf([...s.connect(), ...s.audit(1500), ...s.disconnect()]));
    stack.ingestion.setOnRequest((_rows, i) => (i % 2 === 0 ? { status: 429, retryAfter: '0.05' } : i % 3 === 0 ? { status: 503 } : i % 5 === 0 ? { status: 500, delayMs: 50 } : null));
    const summary = await runShipping(await planLive(ctx.store, at(30), 15 * 60_000, [serverPath(server)]), ctx.deps);
    stack.ingestion.setOnRequest(undefined);
    expect(summary.deadLettered).toBe(0);
    expect(ctx.sink.counters.retries).toBeGreaterThan(3);
    expectExactlyOnce(acceptedFor(stack, server), s.expected, { otherRows: 2 });
  });

  it('a refused request is dead-lettered with the byte range of exactly its rows\' lines', async () => {
    const server = 'pg-dead-range';
    const { ctx } = await scenario(stack, { now: () => at(30) });
    const s = new SessionScript('6a7.1', 701, 'gus', 'ops', at(1), server, 2000);
    await append(await appendBlob(stack, hourBlob(server, HOUR)), bytesOf([...s.connect(), ...s.audit(1500), ...s.disconnect()]));
    // One flush of ~3.5 MB goes out as several ~1 MB requests; the service refuses the second.
    stack.ingestion.setOnRequest((rows) => (rows.some((r) => r.ServerName === server && r.StatementId === 700) ? { status: 400, body: 'one bad request' } : null));
    const summary = await runShipping(await planLive(ctx.store, at(30), 15 * 60_000, [serverPath(server)]), ctx.deps);
    stack.ingestion.setOnRequest(undefined);
    expect(summary.requests).toBeGreaterThan(2);
    const names: string[] = [];
    for await (const n of ctx.deadLetters.list()) names.push(n);
    expect(names).toHaveLength(1);
    let header: { range: { start: number; end: number }; rows: number } | null = null;
    const dead: Record<string, unknown>[] = [];
    await ctx.deadLetters.read(names[0]!, (h) => void (header = h), (rows) => Promise.resolve(void dead.push(...rows.map((r) => JSON.parse(r.json) as Record<string, unknown>))));
    const { range, rows } = header!;
    expect(rows).toBe(dead.length);
    const shipped = acceptedFor(stack, server);
    expect(dead.length + shipped.length).toBe(1502); // CONNECT, 1500 AUDIT, DISCONNECT
    expect(range.start).toBe(Math.min(...dead.map((r) => r.SourceOffset as number)));
    expect(dead.every((r) => (r.SourceOffset as number) >= range.start && (r.SourceOffset as number) < range.end)).toBe(true);
    expect(shipped.filter((r) => (r.SourceOffset as number) >= range.start && (r.SourceOffset as number) < range.end)).toEqual([]);
    expect(range.end).toBe(Math.min(...shipped.map((r) => r.SourceOffset as number).filter((o) => o > range.start)));
  });

  it("a session whose connection lines are in the previous hour's blob is still attributed", async () => {
    const server = 'pg-hours';
    let now = at(50);
    const { ctx } = await scenario(stack, { now: () => now });
    const s = new SessionScript('6a5.1', 501, 'erin', 'finance', at(50), server);
    const first = await appendBlob(stack, hourBlob(server, HOUR));
    await append(first, bytesOf([...s.connect(), ...s.audit(3)]));
    await runShipping(await planLive(ctx.store, now, 15 * 60_000, [serverPath(server)]), ctx.deps);
    now = at(70); // the next hour; a new sweep invocation (fresh pipeline, sessions from state)
    const second = await appendBlob(stack, hourBlob(server, at(60)));
    await append(second, bytesOf([...s.audit(4), ...s.disconnect()]));
    await runShipping(await planLive(ctx.store, now, 15 * 60_000), ctx.deps);
    expectExactlyOnce(acceptedFor(stack, server), s.expected, { otherRows: 2 });
  });

  it('the function handlers: blobCreated enqueues a new blob, the timer sweep enqueues its growth, shipServer ships both', async () => {
    const server = 'pg-functions';
    const now = new Date();
    const hour = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours()));
    const settings = loadSettings(appSettingsEnv(stack, 'fn'));
    const logs: string[] = [];
    const startLog = { log: (m: string) => void logs.push(m), warn: (m: string) => void logs.push(m), error: (m: string) => void logs.push(`ERROR ${m}`) };
    await stack.blobs.getContainerClient(LOGS).createIfNotExists();
    const rt: Runtime = await startUp(settings, { ...stack.clients(), queue: stack.queueService() }, startLog);
    useRuntime(rt);
    const drain = () => drainQueue(rt.queue.queue, rt.queue.poison, onShipServer, { host: hostQueueSettings(), untilEmpty: true, timeoutMs: 30_000 });
    // The instance's start-up check ran against the same parts, and every check passed.
    expect(logs.filter((l) => l.includes('start-up check')).map((l) => l.split(':')[1]!.trim())).toEqual([
      'ok   ingestion Custom-PgAudit_CL', 'ok   ingestion Custom-PgAuditIngest_CL', 'ok   logs insights-logs-postgresqllogs', 'ok   state fn-state', 'ok   dead letters fn-dead', 'ok   queue fn-servers',
    ]);
    logs.length = 0;
    const context = (fn: string) => new InvocationContext({ functionName: fn, logHandler: (_level, ...args) => void logs.push(args.join(' ')) });
    const created = (blobName: string, container = 'insights-logs-postgresqllogs') => ({
      id: '1', topic: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/logs', eventType: 'Microsoft.Storage.BlobCreated',
      subject: `/blobServices/default/containers/${container}/blobs/${blobName}`, eventTime: new Date().toISOString(), dataVersion: '', metadataVersion: '1', data: { api: 'PutBlob' },
    });
    const name = hourBlob(server, hour);
    const blob = await appendBlob(stack, name);
    const s = new SessionScript('6a6.1', 601, 'frank', 'web', hour, server);
    await append(blob, bytesOf([...s.connect(), ...s.audit(5)]));
    expect(await onBlobCreated(created(name, 'other-container'), context('blobCreated'))).toBeNull();
    // blobCreated ships nothing itself: it names the blob in a message for its server.
    expect(await onBlobCreated(created(name), context('blobCreated'))).toEqual({ serverPath: serverPath(server), blob: name });
    expect(acceptedFor(stack, server)).toEqual([]);
    const first = await drain();
    expect([first.handled, first.failed]).toEqual([1, 0]);
    expect(acceptedFor(stack, server)).toHaveLength(6);
    await append(blob, bytesOf([...s.audit(5), ...s.disconnect()]));
    const swept = await onSweep({}, context('sweep'));
    // The sweep enqueues the planning shard (the server has a document now); its planner enqueues the server.
    // (Discovery also finds the other scenarios' servers of this file: a planning message names those.)
    expect([swept.enqueued, swept.shards]).toEqual([[], 1]);
    expect(acceptedFor(stack, server)).toHaveLength(6);
    const second = await drain();
    expect(second.failed).toBe(0);
    useRuntime(null);
    expectExactlyOnce(acceptedFor(stack, server), s.expected, { otherRows: 2 });
    const summaries = [...logs, ...first.logs, ...second.logs].filter((l) => l.includes('"event":"pgaudit-ingest.summary"')).map((l) => JSON.parse(l.slice(l.indexOf('{'))) as { trigger: string; shipped: number; rowsByEventType: Record<string, number> });
    // The sweep's own run ships nothing, nor does the shard's planning run (its heartbeat carries the plan); the queue runs ship.
    expect(summaries.filter((x) => x.shipped > 0 || x.trigger === 'sweep').map((x) => [x.trigger, x.shipped])).toEqual([['sweep', 0], ['queue', 6], ['queue', 6]]);
    expect(summaries.filter((x) => x.shipped > 0)[1]?.rowsByEventType.AUDIT).toBe(5);
  });
});
