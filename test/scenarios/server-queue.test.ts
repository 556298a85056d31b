// The fan-out over a real Azurite queue service with the real @azure/storage-queue client: the
// sweep enqueues exactly the servers with work (base64, as host.json tells the host to decode),
// shipServer ships the one server its message names, a busy server is deferred (a new message,
// invisible for a while, then shipped), and a message that fails every attempt is reported as
// poison (a run record, the log, and the count `status` prints).
import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { onBlobCreated, onShipServer, onSweep, useRuntime, type Runtime } from '../../src/app/function-runtime.js';
import { hostQueueSettings } from '../../src/config/host-queue-settings.js';
import { RUN_STREAM_NAME } from '../../src/run-record-schema.js';
import { readServerMessage, type ServerMessage } from '../../src/ship/server-message.js';
import { StateStore } from '../../src/state/state-store.js';
import { runCli } from '../helpers/cli-process.js';
import { drainQueue } from '../support/queue-host.js';
import { acceptedFor, append, appendBlob, cliEnv, expectExactlyOnce, LOGS, stackPerFile, appRuntime as appRuntimeOf } from './harness.js';
import { bytesOf, hourBlob, serverPath, SessionScript } from './workload.js';

const stack = stackPerFile({ queue: true });
const host = hostQueueSettings();

afterEach(() => useRuntime(null));

const appRuntime = (overrides: Partial<Runtime> = {}): Promise<Runtime> => appRuntimeOf(stack, overrides);

const logsOf = (lines: string[]) => (fn: string) => new InvocationContext({ functionName: fn, logHandler: (level, ...args) => void lines.push(`${level} ${args.join(' ')}`) });

/** The visible messages, decoded as the host decodes them (base64, then JSON). */
async function visible(rt: Runtime): Promise<ServerMessage[]> {
  const { peekedMessageItems } = await rt.queue.queue.peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map((p) => {
    expect(() => JSON.parse(p.messageText) as unknown, 'sent as base64, not as JSON text').toThrow();
    const read = readServerMessage(Buffer.from(p.messageText, 'base64').toString('utf8'));
    if (!read.ok) throw new Error(read.reason);
    return read.message;
  });
}

/** Takes the planning messages off the queue (as the host would hand them to shipServer). */
async function takePlanMessages(rt: Runtime): Promise<unknown[]> {
  const taken: unknown[] = [];
  const { receivedMessageItems } = await rt.queue.queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 5 });
  for (const item of receivedMessageItems) {
    const m = JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')) as { kind?: string };
    if (m.kind === 'plan') {
      taken.push(m);
      await rt.queue.queue.deleteMessage(item.messageId, item.popReceipt);
    } else await rt.queue.queue.updateMessage(item.messageId, item.popReceipt, undefined, 0);
  }
  return taken;
}

const thisHour = (): Date => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours()));
};

async function serverWithBlob(server: string, statements: number, pid: number): Promise<{ s: SessionScript; name: string }> {
  const name = hourBlob(server, thisHour());
  const s = new SessionScript(`7a${pid}.1`, pid, 'quinn', 'ops', thisHour(), server);
  await append(await appendBlob(stack, name), bytesOf([...s.connect(), ...s.audit(statements)]));
  return { s, name };
}

const drain = (rt: Runtime, o: { untilEmpty?: boolean; timeoutMs?: number; visibilityTimeoutSeconds?: number } = {}) =>
  drainQueue(rt.queue.queue, rt.queue.poison, onShipServer, { host: { ...host, visibilityTimeoutSeconds: o.visibilityTimeoutSeconds ?? host.visibilityTimeoutSeconds }, untilEmpty: o.untilEmpty ?? true, timeoutMs: o.timeoutMs ?? 30_000 });

describe('the server queue', () => {
  it('the sweep enqueues planning shards (and discovered servers); the shard planner enqueues one base64 message per server with work, naming its blobs, and none for idle servers; nothing is shipped while planning', async () => {
    const rt = await appRuntime();
    const tag = randomUUID().slice(0, 4);
    const [fresh, idle, grown] = [`pg-q1-new-${tag}`, `pg-q1-idle-${tag}`, `pg-q1-grown-${tag}`];
    await serverWithBlob(idle, 3, 711);
    const g = await serverWithBlob(grown, 3, 712);
    const lines: string[] = [];
    // Both known servers are shipped once; then only their state tells the planner what is new.
    for (const server of [idle, grown]) await onShipServer({ version: 1, serverPath: serverPath(server), reason: 'sweep', enqueuedAt: new Date().toISOString() }, logsOf(lines)('shipServer'));
    await serverWithBlob(fresh, 2, 713);
    await append(await appendBlob(stack, g.name), bytesOf(g.s.audit(2)));
    const before = stack.ingestion.accepted.length;
    // The fresh server is not known to the state yet: discovery (hourly, so on this first sweep) finds it.
    const { enqueued, shards, discovered } = await onSweep({}, logsOf(lines)('sweep'));
    expect([shards, enqueued]).toEqual([1, []]);
    const mine = (servers: string[]) => servers.filter((p) => p.includes(`-${tag.toUpperCase()}/`)).sort();
    expect(mine(discovered)).toEqual([serverPath(fresh)]);
    // The planners (shipServer invocations): the shard of the known servers, the discovered servers.
    const plans = await takePlanMessages(rt);
    expect(plans.length).toBeGreaterThanOrEqual(2);
    for (const p of plans) await onShipServer(p, logsOf(lines)('shipServer'));
    expect(stack.ingestion.accepted.length).toBe(before);
    const messages = (await visible(rt)).filter((m) => mine([m.serverPath]).length > 0);
    expect(messages.map((m) => [m.serverPath, m.reason, m.blobs]).sort()).toEqual([[serverPath(fresh), 'sweep', [hourBlob(fresh, thisHour())]], [serverPath(grown), 'sweep', [g.name]]].sort());
    // The sweep's heartbeat counts the servers known, and says it shipped nothing; the shard's counts what it planned.
    const beats = stack.ingestion.acceptedOn(RUN_STREAM_NAME).filter((r) => r.RecordType === 'heartbeat');
    const beat = beats.filter((r) => r.Trigger === 'sweep').at(-1)!;
    expect(beat.RowsShipped).toBe(0);
    expect(beat.ServersSeen as number).toBeGreaterThanOrEqual(3);
    const shardBeats = beats.filter((r) => r.Trigger === 'queue' && r.ServerName === null && r.ServersSeen === 2);
    expect(shardBeats.at(-1)).toMatchObject({ RowsShipped: 0 });
    expect(lines.some((l) => l.includes('"event":"pgaudit-ingest.enqueued"') && l.includes('"trigger":"sweep"'))).toBe(true);
    expect(lines.some((l) => l.includes('"event":"pgaudit-ingest.planned"'))).toBe(true);
  });

  it('shipServer ships exactly the server its message names, from that server’s own lookback plan', async () => {
    const rt = await appRuntime();
    const [mine, other] = ['pg-q2-mine', 'pg-q2-other'];
    const a = await serverWithBlob(mine, 7, 721);
    await serverWithBlob(other, 4, 722);
    await rt.queue.send({ serverPath: serverPath(mine), reason: 'sweep' });
    const r = await drain(rt);
    expect([r.handled, r.failed]).toEqual([1, 0]);
    expectExactlyOnce(acceptedFor(stack, mine), a.s.expected, { otherRows: 1 });
    expect(acceptedFor(stack, other)).toEqual([]);
    const beats = stack.ingestion.acceptedOn(RUN_STREAM_NAME).filter((x) => x.Trigger === 'queue' && x.RecordType === 'heartbeat' && x.ServersSeen === 1);
    expect(beats.length).toBeGreaterThan(0);
    // The queue run's heartbeat names its server, measured after shipping: the per-server lag.
    const mineName = acceptedFor(stack, mine)[0]!.ServerName;
    expect(beats.filter((x) => x.ServerName === mineName).map((x) => x.BytesBehind)).toEqual([0]);
  });

  it('blobCreated names the blob; shipServer ships that blob; a second message finds nothing left', async () => {
    const rt = await appRuntime();
    const server = 'pg-q3-event';
    const b = await serverWithBlob(server, 5, 731);
    const event = { id: '1', topic: '/t', eventType: 'Microsoft.Storage.BlobCreated', subject: `/blobServices/default/containers/${LOGS}/blobs/${b.name}`, eventTime: new Date().toISOString(), dataVersion: '', metadataVersion: '1', data: { api: 'PutBlob' } };
    await onBlobCreated(event, logsOf([])('blobCreated'));
    expect((await visible(rt)).map((m) => [m.serverPath, m.reason, m.blobs])).toEqual([[serverPath(server), 'blobCreated', [b.name]]]);
    const r = await drain(rt);
    expect([r.handled, r.failed]).toEqual([1, 0]);
    expectExactlyOnce(acceptedFor(stack, server), b.s.expected, { otherRows: 1 });
    await rt.queue.send({ serverPath: serverPath(server), reason: 'sweep' });
    const again = await drain(rt);
    expect([again.handled, again.failed]).toEqual([1, 0]);
    expectExactlyOnce(acceptedFor(stack, server), b.s.expected, { otherRows: 1 });
  });

  it('a busy server is deferred: the message completes, a new one is invisible for the delay, then ships', async () => {
    const rt = await appRuntime({ deferSeconds: 2 });
    const server = 'pg-q4-busy';
    const b = await serverWithBlob(server, 6, 741);
    const lease = await rt.context.store.acquire(serverPath(server)); // another worker holds it
    expect(lease).not.toBeNull();
    await rt.queue.send({ serverPath: serverPath(server), blobs: [b.name], reason: 'blobCreated' });
    const first = await drain(rt, { untilEmpty: false, timeoutMs: 800 });
    expect([first.handled, first.failed]).toEqual([1, 0]);
    expect(first.logs.some((l) => l.includes('"event":"pgaudit-ingest.deferred"'))).toBe(true);
    expect(acceptedFor(stack, server)).toEqual([]);
    // Still there, not visible yet: a deferral is not a failure and starts a new dequeue count.
    expect(await visible(rt)).toEqual([]);
    expect((await rt.queue.queue.getProperties()).approximateMessagesCount).toBe(1);
    await lease!.release();
    await new Promise((r) => setTimeout(r, 2_200));
    const [again] = await visible(rt);
    expect(again).toMatchObject({ serverPath: serverPath(server), reason: 'deferred', blobs: [b.name] });
    const second = await drain(rt);
    expect([second.handled, second.failed]).toEqual([1, 0]);
    expectExactlyOnce(acceptedFor(stack, server), b.s.expected, { otherRows: 1 });
  });

  it('a message that can never be shipped is completed with an error record, not retried into the poison queue', async () => {
    const rt = await appRuntime();
    await rt.queue.queue.sendMessage(Buffer.from('{"version":1,"serverPath":""}').toString('base64'));
    await rt.queue.send({ serverPath: serverPath('pg-q6-a'), blobs: [hourBlob('pg-q6-b', thisHour())], reason: 'blobCreated' });
    const r = await drain(rt);
    expect([r.handled, r.failed, r.poisoned]).toEqual([2, 0, 0]);
    const rejected = stack.ingestion.acceptedOn(RUN_STREAM_NAME).filter((x) => x.ErrorCode === 'QueueMessageInvalid' && x.Trigger === 'queue');
    expect(rejected.map((x) => x.ServerName).sort()).toEqual(expect.arrayContaining([null, 'pg-q6-a']));
    expect(rejected.find((x) => x.ServerName === 'pg-q6-a')?.ErrorMessage).toMatch(/names blobs of another server/);
    expect(acceptedFor(stack, 'pg-q6-b')).toEqual([]);
  });

  it('a message failing every attempt: one poison run record and log error on the last attempt, the poison queue, status counts it', async () => {
    const rt = await appRuntime();
    const server = 'pg-q5-poison';
    await serverWithBlob(server, 3, 751);
    const doc = rt.context.store.container.getBlockBlobClient(StateStore.serverDocName(serverPath(server)));
    await doc.upload('not json at all', 15); // the server's document cannot be read: its runs fail
    await rt.queue.send({ serverPath: serverPath(server), reason: 'sweep' });
    const r = await drain(rt, { visibilityTimeoutSeconds: 1 });
    expect([r.handled, r.failed, r.poisoned]).toEqual([0, host.maxDequeueCount, 1]);
    const poisoned = stack.ingestion.acceptedOn(RUN_STREAM_NAME).filter((x) => x.ErrorCode === 'QueueMessagePoisoned' && x.ServerName === server);
    expect(poisoned).toHaveLength(1);
    expect(poisoned[0]!.ErrorMessage).toMatch(new RegExp(`attempt ${host.maxDequeueCount} of ${host.maxDequeueCount}.*${rt.queue.poison.name}.*StateDocumentInvalid`));
    expect(r.logs.filter((l) => l.startsWith('error') && l.includes('"event":"pgaudit-ingest.poison"'))).toHaveLength(1);
    expect(await rt.queue.poisonCount()).toBe(1);
    const status = await runCli(['status', '--storage', stack.azurite.connectionString, '--state-storage', stack.stateConnectionString, '--state-container', rt.settings.stateContainer, '--queue', rt.settings.queueName, '--prefix', serverPath(server)], cliEnv(stack));
    expect(status.stderr).toContain(`poison queue ${rt.queue.poison.name}: 1 message(s)`);
    // Without a queue endpoint, status says it could not read the count, and still reports the blobs.
    const blind = await runCli(['status', '--storage', stack.azurite.connectionString, '--state-container', rt.settings.stateContainer, '--queue', rt.settings.queueName, '--prefix', serverPath(server)], cliEnv(stack));
    expect(blind.stderr).toMatch(/poison queue .*-poison: not read: .*QueueEndpoint/);
    expect(blind.stderr).toMatch(/1 blob\(s\)/);
  });
});
