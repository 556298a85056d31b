// What the fan-out planner lists per server and sweep (src/ship/plan-shard.ts), as pure functions:
// over a day of 5-minute sweeps an idle server costs at most 1.5 listings per sweep on average
// (issue 27's target), every server's older days are listed once an hour, and a sweep after a gap
// of an hour or more (or the first of a timer instance) lists everything.
import { describe, expect, it } from 'vitest';
import { olderDaysDue, prefixesToList } from '../../src/ship/plan-shard.js';

const HOUR = 3_600_000;
const server = (i: number): string => `resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/PG-${i}/`;

describe('the fan-out planner’s listings', () => {
  it('a day of 5-minute sweeps, 48 h lookback: ≤ 1.5 listings per server and sweep on average; each server’s older days once per hour', () => {
    const start = Date.parse('2026-12-01T00:00:00Z');
    const servers = Array.from({ length: 200 }, (_, i) => server(i));
    let listings = 0;
    let sweeps = 0;
    const olderPerServer = new Map<string, number>();
    let previous: Date | null = new Date(start - 5 * 60_000);
    let worst = 0;
    for (let t = start; t < start + 24 * HOUR; t += 5 * 60_000) {
      const now = new Date(t);
      let thisSweep = 0;
      for (const s of servers) {
        const due = olderDaysDue(s, now, previous);
        if (due) olderPerServer.set(s, (olderPerServer.get(s) ?? 0) + 1);
        thisSweep += prefixesToList(s, now, 48 * HOUR, due).length;
      }
      listings += thisSweep;
      worst = Math.max(worst, thisSweep / servers.length);
      sweeps++;
      previous = now;
    }
    const average = listings / sweeps / servers.length;
    expect(average).toBeLessThanOrEqual(1.5);
    expect([...olderPerServer.values()].every((n) => n === 24)).toBe(true);
    console.log(`fan-out planner: ${average.toFixed(3)} listings per idle server and sweep over a day (worst sweep ${worst.toFixed(2)}, in the first hours of the UTC day)`);
  });

  it('lists everything on a timer instance’s first sweep or after a gap of an hour', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    expect(olderDaysDue(server(1), now, null)).toBe(true);
    expect(olderDaysDue(server(1), now, new Date(now.getTime() - HOUR))).toBe(true);
    expect(prefixesToList(server(1), now, 48 * HOUR, true)).toHaveLength(3);
    expect(prefixesToList(server(1), now, 48 * HOUR, false)).toEqual([`${server(1)}y=2026/m=12/d=01/`]);
    expect(prefixesToList(server(1), new Date('2026-12-01T01:00:00Z'), 48 * HOUR, false)).toEqual([`${server(1)}y=2026/m=11/d=30/`, `${server(1)}y=2026/m=12/d=01/`]);
  });
});
