// The reduced form of `npm run bench:scale` (issue 27): the same simulation (scripts/bench/
// scale-sim.ts) over 60 servers in shards of 20, asserted for correctness rather than timed: both
// planners plan exactly the servers that grew, the fan-out planner reads no state document and
// costs at most 1.5 storage transactions per server, and the drained servers' rows arrive exactly
// once.
import { describe, expect, it } from 'vitest';
import { simulateFleet } from '../../scripts/bench/scale-sim.js';
import { acceptedFor, expectExactlyOnce, stackPerFile } from './harness.js';

const stack = stackPerFile({ queue: true });

describe('bench:scale, reduced', () => {
  it('60 servers, 6 grown: planned alike by both planners, ≤ 1.5 transactions per server fanned out, drained exactly once', async () => {
    const r = await simulateFleet(stack, { servers: 60, grownFraction: 0.1, reference: true, shardSize: 20 });
    expect(r.grown).toBe(6);
    expect(r.fanOut.shards).toBe(3);
    expect(r.fanOut.planned.sort()).toEqual([...r.expected.keys()].sort());
    expect(r.fanOut.stats).toMatchObject({ serversSeen: 60, docReads: 0 });
    expect(r.fanOut.counts['GET download'] ?? 0).toBe(0);
    // One listing per idle server (two in the first hours of a UTC day, when the previous day's last
    // hours are recent too), the older days of about 1 in 12, two listings per shard of 20.
    expect(r.fanOut.perServer).toBeLessThanOrEqual(new Date().getUTCHours() < 3 ? 2.5 : 1.5);
    expect(r.reference!.perServer).toBeGreaterThan(r.fanOut.perServer);
    expect([r.drain.servers, r.drain.failed]).toEqual([6, 0]);
    for (const [path, expected] of r.expected) {
      const name = path.split('/').filter(Boolean).pop()!.toLowerCase();
      expectExactlyOnce(acceptedFor(stack, name), expected, { otherRows: 1 });
    }
    console.log(`bench:scale reduced: reference ${r.reference!.perServer.toFixed(2)}, fan-out ${r.fanOut.perServer.toFixed(2)} transactions/server; drained ${r.drain.perSecond.toFixed(1)} servers/s`);
  }, 120_000);
});
