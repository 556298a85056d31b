// What the lookback costs in storage transactions (issue 11): a server with a blob for each of
// the last 48 hours, swept once when all are shipped. Counted by a proxy in front of Azurite; the
// numbers go to the README (printed here). Growth in one old blob: only that blob is read.
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.js';
import { append, appendBlob, scenario, stackPerFile, sweepLive } from './harness.js';
import { bytesOf, hourBlob, serverPath, SessionScript } from './workload.js';

const stack = stackPerFile();
let proxy: CountingProxy;
beforeAll(async () => {
  proxy = await startCountingProxy(stack.azurite);
});
afterAll(async () => {
  await proxy?.close();
});

const HOUR_MS = 3_600_000;
const NOW = new Date('2026-11-25T12:30:00Z');
const SWEEPS_PER_MONTH = (30 * 24 * 60) / 5; // the default schedule: every 5 minutes

describe('the cost of the lookback', () => {
  it('an idle sweep of a server with 48 tracked blobs makes a few listings and downloads nothing', async () => {
    const server = 'pg-cost';
    const blobs = Array.from({ length: 48 }, (_, i) => hourBlob(server, new Date(Math.floor(NOW.getTime() / HOUR_MS) * HOUR_MS - i * HOUR_MS)));
    for (const [i, name] of blobs.entries()) {
      const s = new SessionScript(`6h${i}.1`, 700 + i, 'ivo', 'ops', new Date(NOW.getTime() - i * HOUR_MS), server);
      await append(await appendBlob(stack, name), bytesOf([...s.connect(), ...s.audit(3)]));
    }
    const counted = BlobServiceClient.fromConnectionString(proxy.connectionString);
    const clients = { ...stack.clients(), logs: counted, state: counted };
    const sc = await scenario(stack, { now: () => NOW, lookbackMs: 48 * HOUR_MS }, clients);
    const first = await sweepLive(sc, [serverPath(server)]);
    expect(first.blobs.filter((b) => b.status === 'shipped')).toHaveLength(48);

    proxy.reset();
    const idle = await sweepLive(sc);
    const counts = proxy.counts();
    const total = Object.values(counts).reduce((n, c) => n + c, 0);
    expect(idle.blobs).toEqual([]);
    expect(idle.planned.stats).toMatchObject({ serversSeen: 1, blobsChecked: 48, bytesBehind: 0 });
    // One listing of the state documents and a read of this server's, then one listing per day prefix.
    expect(counts).toEqual({ 'GET list': 1 + 3, 'GET download': 1 });
    console.log(`lookback cost: an idle sweep of one server with 48 blobs = ${total} storage transactions (${JSON.stringify(counts)}); ` + `${total * SWEEPS_PER_MONTH} per month at one sweep every 5 minutes`);

    // One old blob grows: that blob alone is read (and the server leased and its state written).
    const s = new SessionScript('6h47.2', 799, 'ivo', 'ops', new Date(NOW.getTime() - 47 * HOUR_MS), server);
    await append(await appendBlob(stack, blobs[47]!), bytesOf(s.audit(1)));
    proxy.reset();
    const late = await sweepLive(sc);
    expect(late.blobs.map((b) => [b.blob, b.shipped])).toEqual([[blobs[47], 1]]);
    // The server document twice (planning, then under the lease), its session snapshot, the blob's new bytes.
    expect(proxy.counts()['GET download']).toBe(4);
  });
});
