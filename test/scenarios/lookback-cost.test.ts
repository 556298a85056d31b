// What the lookback costs in storage transactions (issues 11 and 27): a server with a blob for
// each of the last 48 hours, swept when all are shipped. Counted by a proxy in front of Azurite;
// the numbers are printed (docs/performance.md has them).
//
// Before (issue 11's planner, plan.ts planLookback, kept as the reference): every sweep read each
// server's state document and listed every day prefix of the lookback — 1 + 3 transactions per
// server and sweep here (plus one listing of the state documents). After (issue 27's fan-out
// planner, plan-shard.ts): the checkpoints come with the listing of the state documents (their
// metadata), and only the recent day prefix is listed at each sweep; the older days once an hour
// per server. Over an hour of 5-minute sweeps an idle server costs (12 + 2) / 12 = 1.17
// transactions per sweep, plus two listings per shard of up to 500 servers. Late growth in an
// old blob is found when the server's older days are next listed: within the hour.
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planLookback } from '../../src/ship/plan.js';
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
const MINUTE_MS = 60_000;
const START = new Date('2026-11-25T12:30:00Z');
const SWEEPS_PER_MONTH = (30 * 24 * 60) / 5; // the default schedule: every 5 minutes
const total = (counts: Record<string, number>): number => Object.values(counts).reduce((n, c) => n + c, 0);

describe('the cost of the lookback', () => {
  it('an idle server with 48 tracked blobs: before 4 transactions per sweep, after 1 (1.17 averaged over the hour); an old blob’s growth is found within the hour', async () => {
    const server = 'pg-cost';
    let now = START;
    const blobs = Array.from({ length: 48 }, (_, i) => hourBlob(server, new Date(Math.floor(START.getTime() / HOUR_MS) * HOUR_MS - i * HOUR_MS)));
    for (const [i, name] of blobs.entries()) {
      const s = new SessionScript(`6h${i}.1`, 700 + i, 'ivo', 'ops', new Date(START.getTime() - i * HOUR_MS), server);
      await append(await appendBlob(stack, name), bytesOf([...s.connect(), ...s.audit(3)]));
    }
    const counted = BlobServiceClient.fromConnectionString(proxy.connectionString);
    const clients = { ...stack.clients(), logs: counted, state: counted };
    const sc = await scenario(stack, { now: () => now, lookbackMs: 48 * HOUR_MS }, clients);
    const first = await sweepLive(sc, [serverPath(server)]);
    expect(first.blobs.filter((b) => b.status === 'shipped')).toHaveLength(48);

    // Before: the reference planner reads the document and lists the three day prefixes.
    proxy.reset();
    const old = await planLookback(sc.ctx.deps.source, sc.ctx.store, now, sc.ctx.config.lookbackMs);
    expect(old.plan.size).toBe(0);
    const before = proxy.counts();
    expect(before).toEqual({ 'GET list': 1 + 3, 'GET download': 1 });

    // After: an hour of sweeps every 5 minutes. Each lists the state documents twice (the timer's
    // shards, the shard's page: shared by up to 500 servers) and this server's current day; once
    // in the hour, the server's older days too. Nothing is downloaded.
    proxy.reset();
    let olderListed = 0;
    for (let i = 1; i <= 12; i++) {
      now = new Date(START.getTime() + i * 5 * MINUTE_MS); // the 12 sweeps of (START, START + 1 h]
      const idle = await sweepLive(sc);
      expect(idle.blobs).toEqual([]);
      expect(idle.planned.stats).toMatchObject({ serversSeen: 1, bytesBehind: 0, docReads: 0 });
      olderListed += idle.planned.stats.olderListed;
    }
    const after = proxy.counts();
    expect(olderListed).toBe(1);
    const shared = 2 * 12;
    expect(after).toEqual({ 'GET list': shared + 12 + 2 });
    const perSweep = (total(after) - shared) / 12;
    expect(perSweep).toBeLessThanOrEqual(1.5);
    console.log(
      `lookback cost, an idle server with 48 blobs (3 day prefixes): before ${total(before) - 1} transactions per sweep (${JSON.stringify(before)}, one listing shared); ` +
        `after ${perSweep.toFixed(2)} per sweep over an hour (${JSON.stringify(after)} in 12 sweeps, ${shared} of them shared by the shard); ` +
        `per month at one sweep every 5 minutes: ${(total(before) - 1) * SWEEPS_PER_MONTH} before, ${Math.round(perSweep * SWEEPS_PER_MONTH)} after`,
    );

    // A recent blob grows: the next sweep ships it. Planning reads no document; the run leases the
    // server, reads its document and session snapshot, the blob's length and its new bytes.
    const recent = new SessionScript('6h0.2', 798, 'ivo', 'ops', new Date(START.getTime()), server);
    await append(await appendBlob(stack, blobs[0]!), bytesOf(recent.audit(1)));
    now = new Date(now.getTime() + 5 * MINUTE_MS);
    proxy.reset();
    const soon = await sweepLive(sc);
    expect(soon.blobs.map((b) => [b.blob, b.shipped])).toEqual([[blobs[0], 1]]);
    expect(proxy.counts()['GET download']).toBe(3);
    // The sweep that ships a small growth, every storage request: planning's three listings (two of
    // them per shard), then the lease (taken first: the document exists; before issue 27 a failed
    // create of the document came first, one request more), document, snapshot, the new bytes (the
    // listing gave the length), the new snapshot, the document, the old snapshot's deletion, the release.
    const run = proxy.counts();
    console.log(`lookback cost: a sweep that ships one small growth = ${total(run)} storage transactions (${JSON.stringify(run)})`);
    expect(run['PUT lease']).toBe(2); // acquire and release; no failed create of an existing document

    // An old blob (two days back) grows: found when the server's older days are next due, within the hour.
    const s = new SessionScript('6h47.2', 799, 'ivo', 'ops', new Date(START.getTime() - 47 * HOUR_MS), server);
    await append(await appendBlob(stack, blobs[47]!), bytesOf(s.audit(1)));
    const appendedAt = now;
    let found: string[] = [];
    while (found.length === 0) {
      now = new Date(now.getTime() + 5 * MINUTE_MS);
      found = (await sweepLive(sc)).blobs.filter((b) => b.shipped > 0).map((b) => b.blob);
      expect(now.getTime() - appendedAt.getTime()).toBeLessThanOrEqual(HOUR_MS);
    }
    expect(found).toEqual([blobs[47]]);
    console.log(`lookback cost: growth of a blob 47 hours old found ${(now.getTime() - appendedAt.getTime()) / MINUTE_MS} minutes after the append`);
  });
});
