// More than one DCR (issue 27): with PGAUDIT_DCR_SHARDS naming a second DCR (a second local Logs
// Ingestion endpoint with its own immutable id), each server's rows and run records go through the
// DCR its stable hash picks, and only through it; every row still arrives exactly once, in the same
// table, across the two.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { onShipServer, startUp, useRuntime } from '../../src/app/function-runtime.js';
import { defaultCredential } from '../../src/config/azure-clients.js';
import { ingestionTransport } from '../../src/ship/ship-clients.js';
import { hostQueueSettings } from '../../src/config/host-queue-settings.js';
import { loadSettings } from '../../src/config/settings.js';
import { RUN_COLUMNS, RUN_STREAM_NAME } from '../../src/run-record-schema.js';
import { STREAM_NAME } from '../../src/schema.js';
import { dcrShardOf } from '../../src/ship/dcr-shards.js';
import { startIngestionEndpoint, trustingClientOptions, type IngestionHandle } from '../support/logs-ingestion-endpoint.js';
import { drainQueue } from '../support/queue-host.js';
import { appSettingsEnv, TEST_RULE_ID } from '../support/stack.js';
import { append, appendBlob, expectExactlyOnce, stackPerFile } from './harness.js';
import { bytesOf, hourBlob, serverPath, SessionScript } from './workload.js';

const stack = stackPerFile({ queue: true });
const SECOND_RULE_ID = 'dcr-fedcba9876543210fedcba9876543210';
let second: IngestionHandle;
beforeAll(async () => {
  second = await startIngestionEndpoint({ moreStreams: { [RUN_STREAM_NAME]: RUN_COLUMNS }, ruleId: SECOND_RULE_ID, stream: STREAM_NAME, validateToken: (t) => stack.identity.validToken(t) });
});
afterAll(async () => {
  await second?.close();
});
afterEach(() => useRuntime(null));

describe('DCR shards', () => {
  it('each server ships through the DCR its hash picks, rows and run records alike; every row exactly once across both', async () => {
    const id = randomUUID().slice(0, 8);
    const settings = loadSettings({ ...appSettingsEnv(stack, `dcr-${id}`), PGAUDIT_DCR_SHARDS: JSON.stringify([{ endpoint: second.endpoint, immutableId: SECOND_RULE_ID }]) });
    const ingestionFor = (endpoint: string) => ingestionTransport(endpoint, defaultCredential(undefined), trustingClientOptions(second));
    const startLog: string[] = [];
    const rt = await startUp(settings, { ...stack.clients(), queue: stack.queueService(), ingestionFor }, { log: (m: string) => void startLog.push(m), warn: (m: string) => void startLog.push(m), error: (m: string) => void startLog.push(`ERROR ${m}`) });
    useRuntime(rt);
    // The start-up check makes an empty upload to each DCR: the second one's line names it.
    expect(startLog.filter((l) => l.includes('start-up check: ok   ingestion Custom-PgAudit_CL'))).toHaveLength(2);
    expect(startLog.some((l) => l.includes(`(DCR shard 1, ${SECOND_RULE_ID})`))).toBe(true);
    expect(startLog.filter((l) => l.startsWith('ERROR'))).toEqual([]);
    expect(rt.dcrContexts.map((c) => c.config.ruleId)).toEqual([TEST_RULE_ID, SECOND_RULE_ID]);
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const servers = Array.from({ length: 10 }, (_, i) => `pg-dcr-${i}`);
    const scripts = new Map<string, SessionScript>();
    for (const [i, server] of servers.entries()) {
      const s = new SessionScript(`d${i}.1`, 800 + i, 'ines', 'ops', hour, server);
      await append(await appendBlob(stack, hourBlob(server, hour)), bytesOf([...s.connect(), ...s.audit(4)]));
      scripts.set(server, s);
      await rt.queue.send({ serverPath: serverPath(server), blobs: [hourBlob(server, hour)], reason: 'sweep' });
    }
    const shardOf = new Map(servers.map((s) => [s, dcrShardOf(serverPath(s), 2)]));
    expect(new Set(shardOf.values())).toEqual(new Set([0, 1])); // both DCRs carry some servers
    const r = await drainQueue(rt.queue.queue, rt.queue.poison, onShipServer, { host: hostQueueSettings(), untilEmpty: true, timeoutMs: 60_000 });
    expect([r.handled, r.failed]).toEqual([10, 0]);
    const endpoints = [stack.ingestion, second];
    for (const server of servers) {
      const mine = endpoints[shardOf.get(server)!]!;
      const other = endpoints[1 - shardOf.get(server)!]!;
      expectExactlyOnce(mine.accepted.filter((x) => x.ServerName === server), scripts.get(server)!.expected, { otherRows: 1 });
      expect(other.accepted.filter((x) => x.ServerName === server)).toEqual([]);
      expect(mine.acceptedOn(RUN_STREAM_NAME).filter((x) => x.ServerName === server && x.RecordType === 'blob')).toHaveLength(1);
      expect(other.acceptedOn(RUN_STREAM_NAME).filter((x) => x.ServerName === server)).toEqual([]);
    }
  });

  it('the assignment is stable and spreads servers evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20_000; i++) counts[dcrShardOf(serverPath(`pg-${i}`), 4)]!++;
    for (const c of counts) expect(Math.abs(c - 5_000)).toBeLessThan(300);
    expect(dcrShardOf(serverPath('pg-x'), 4)).toBe(dcrShardOf(serverPath('PG-X'), 4));
    expect(dcrShardOf(serverPath('pg-x'), 1)).toBe(0);
  });
});
