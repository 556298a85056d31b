// The fan-out planner (issue 27) over a real Azurite queue with the app's handlers: the timer puts
// one planning message per shard of server documents, each shard's planner (a shipServer
// invocation) plans only its servers, and the servers with work are shipped — every row exactly
// once. The watchdog: a shard whose planning message is lost leaves its servers without a plan;
// the next sweep reports each (ServerNotPlanned error run records) and gives it a shipping message.
import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { onShipServer, onSweep, useRuntime, type Runtime } from '../../src/app/function-runtime.js';
import { hostQueueSettings } from '../../src/config/host-queue-settings.js';
import { RUN_STREAM_NAME } from '../../src/run-record-schema.js';
import { drainQueue } from '../support/queue-host.js';
import { acceptedFor, append, appendBlob, expectExactlyOnce, stackPerFile, appRuntime as appRuntimeOf } from './harness.js';
import { bytesOf, hourBlob, serverPath, SessionScript, type ExpectedAudit } from './workload.js';

const stack = stackPerFile({ queue: true });
const host = hostQueueSettings();
afterEach(() => useRuntime(null));

// A rescued server is also planned by its shard: one of the two messages finds it busy and is deferred (shortly here).
const appRuntime = (planShardSize: number): Promise<Runtime> => appRuntimeOf(stack, { planShardSize, deferSeconds: 1 }, 'fp-');

const ctxOf = (lines: string[], fn: string): InvocationContext => new InvocationContext({ functionName: fn, logHandler: (level, ...args) => void lines.push(`${level} ${args.join(' ')}`) });
const thisHour = (): Date => new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);

interface Queued {
  readonly body: { kind?: string; shard?: number; serverPath?: string; blobs?: string[]; reason?: string };
  readonly id: string;
  readonly pop: string;
}

/** Every visible message, taken off the queue (invisible for a while), decoded as the host does. */
async function takeAll(rt: Runtime): Promise<Queued[]> {
  const out: Queued[] = [];
  for (;;) {
    const { receivedMessageItems } = await rt.queue.queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
    if (receivedMessageItems.length === 0) return out;
    for (const i of receivedMessageItems) out.push({ body: JSON.parse(Buffer.from(i.messageText, 'base64').toString('utf8')) as Queued['body'], id: i.messageId, pop: i.popReceipt });
  }
}

/** Hands messages to shipServer as the host does, deleting each after its handler returned. */
async function handle(rt: Runtime, messages: readonly Queued[], lines: string[]): Promise<void> {
  for (const m of messages) {
    await onShipServer(m.body, ctxOf(lines, 'shipServer'));
    await rt.queue.queue.deleteMessage(m.id, m.pop);
  }
}

async function writeServers(tag: string, n: number, statements: number): Promise<{ servers: string[]; expected: ExpectedAudit[] }> {
  const servers: string[] = [];
  const expected: ExpectedAudit[] = [];
  for (let i = 0; i < n; i++) {
    const server = `pg-fp-${tag}-${i}`;
    const s = new SessionScript(`f${tag}${i}.1`, 900 + i, 'uma', 'ops', thisHour(), server);
    await append(await appendBlob(stack, hourBlob(server, thisHour())), bytesOf([...s.connect(), ...s.audit(statements)]));
    servers.push(server);
    expected.push(...s.expected);
  }
  return { servers, expected };
}

const drain = (rt: Runtime) => drainQueue(rt.queue.queue, rt.queue.poison, onShipServer, { host, untilEmpty: true, timeoutMs: 60_000 });

describe('the fan-out planner', () => {
  it('8 servers in shards of 3: three planning messages, each plans its own servers; only servers with work are shipped, exactly once', async () => {
    const rt = await appRuntime(3);
    const tag = randomUUID().slice(0, 4);
    const { servers, expected } = await writeServers(tag, 8, 4);
    const lines: string[] = [];
    // The first sweep discovers the servers (no documents yet): a planning message names them.
    const first = await onSweep({}, ctxOf(lines, 'sweep'));
    expect([first.shards, first.enqueued]).toEqual([0, []]);
    expect(first.discovered.filter((p) => p.includes(`-${tag.toUpperCase()}-`))).toHaveLength(8);
    expect((await drain(rt)).failed).toBe(0);
    for (const [i, server] of servers.entries()) expectExactlyOnce(acceptedFor(stack, server), expected.filter((e) => e.session.startsWith(`f${tag}${i}.`)), { otherRows: 1 });

    // Two servers grow; the next sweep: three shards (3 + 3 + 2 documents), no server enqueued directly.
    const grow = [1, 6];
    const extra: ExpectedAudit[][] = [];
    for (const i of grow) {
      const s = new SessionScript(`f${tag}${i}.2`, 950 + i, 'uma', 'ops', thisHour(), servers[i]);
      await append(await appendBlob(stack, hourBlob(servers[i]!, thisHour())), bytesOf([...s.connect(), ...s.audit(2)]));
      extra.push(s.expected);
    }
    const second = await onSweep({}, ctxOf(lines, 'sweep'));
    expect([second.shards, second.enqueued, second.discovered, second.unplanned]).toEqual([3, [], [], []]);
    const plans = await takeAll(rt);
    expect(plans.map((m) => [m.body.kind, m.body.shard]).sort()).toEqual([['plan', 0], ['plan', 1], ['plan', 2]]);
    await handle(rt, plans, lines);
    const ships = await takeAll(rt);
    expect(ships.map((m) => m.body.serverPath).sort()).toEqual(grow.map((i) => serverPath(servers[i]!)).sort());
    expect(ships.every((m) => m.body.reason === 'sweep' && m.body.blobs?.length === 1)).toBe(true);
    // Each shard's heartbeat counts its own servers: together, all 8 once.
    const shardBeats = stack.ingestion.acceptedOn(RUN_STREAM_NAME).filter((r) => r.RecordType === 'heartbeat' && r.Trigger === 'queue' && r.ServerName === null).slice(-3);
    expect(shardBeats.map((r) => r.ServersSeen).sort()).toEqual([2, 3, 3]);
    await handle(rt, ships, lines);
    for (const [k, i] of grow.entries()) expectExactlyOnce(acceptedFor(stack, servers[i]!), [...expected.filter((e) => e.session.startsWith(`f${tag}${i}.`)), ...extra[k]!], { otherRows: 2 });
    // Every shard left its receipt: the third sweep's watchdog finds nothing missing.
    const third = await onSweep({}, ctxOf(lines, 'sweep'));
    expect(third.unplanned).toEqual([]);
  });

  it('the watchdog: a lost planning message leaves its servers unplanned; the next sweep reports each and ships them', async () => {
    const rt = await appRuntime(2);
    const tag = randomUUID().slice(0, 4);
    const { servers, expected } = await writeServers(tag, 5, 3);
    const lines: string[] = [];
    await onSweep({}, ctxOf(lines, 'sweep'));
    await drain(rt);
    await new Promise((r) => setTimeout(r, 1_100)); // documents' creation times have a second's resolution
    const before = new Map(servers.map((s) => [s, acceptedFor(stack, s).length]));
    // Every server grows; the sweep's planning message for shard 1 is lost (deleted unhandled).
    const late: ExpectedAudit[][] = [];
    for (const [i, server] of servers.entries()) {
      const s = new SessionScript(`f${tag}${i}.3`, 970 + i, 'uma', 'ops', thisHour(), server);
      await append(await appendBlob(stack, hourBlob(server, thisHour())), bytesOf([...s.connect(), ...s.audit(1)]));
      late.push(s.expected);
    }
    // (The logs container holds the first test's servers too: discovery found them, so shards cover them.)
    expect((await onSweep({}, ctxOf(lines, 'sweep'))).shards).toBeGreaterThanOrEqual(3);
    const plans = await takeAll(rt);
    const lost = plans.find((m) => m.body.shard === 0)!; // shard 0 always has 2 servers
    await rt.queue.queue.deleteMessage(lost.id, lost.pop);
    await handle(rt, plans.filter((m) => m !== lost), lines);
    await handle(rt, await takeAll(rt), lines); // the shipping messages of the other shards
    const missed = servers.filter((s) => acceptedFor(stack, s).length === before.get(s));
    const shipped = servers.filter((s) => !missed.includes(s));

    const next = await onSweep({}, ctxOf(lines, 'sweep'));
    expect(next.unplanned).toHaveLength(2);
    expect(next.unplanned).toEqual(expect.arrayContaining(missed.map(serverPath)));
    for (const s of shipped) expect(next.unplanned).not.toContain(serverPath(s));
    expect(next.enqueued.sort()).toEqual([...next.unplanned].sort());
    const names = next.unplanned.map((p) => p.split('/').filter(Boolean).pop()!.toLowerCase());
    const reported = stack.ingestion.acceptedOn(RUN_STREAM_NAME).filter((r) => r.ErrorCode === 'ServerNotPlanned' && names.includes(String(r.ServerName)));
    expect(reported.map((r) => r.ServerName).sort()).toEqual(names.sort());
    expect(reported[0]!.ErrorMessage).toMatch(/was not planned since the sweep of/);
    expect(lines.some((l) => l.startsWith('warning') && l.includes('"event":"pgaudit-ingest.unplanned"'))).toBe(true);
    const last = await drain(rt);
    expect(last.failed).toBe(0);
    expect((await rt.queue.queue.getProperties()).approximateMessagesCount).toBe(0);
    for (const [i, server] of servers.entries()) expectExactlyOnce(acceptedFor(stack, server), [...expected.filter((e) => e.session.startsWith(`f${tag}${i}.`)), ...late[i]!], { otherRows: 2 });
  }, 120_000);
});
