// `npm run bench:scale` (issue 27): planning and draining a simulated fleet of 1,000, 5,000 and
// 20,000 servers (one small blob each in the current hour, 10 % of them grown) against Azurite,
// with the simulation of scripts/bench/scale-sim.ts (its reduced form is test/scenarios/scale.test.ts).
// Prints, per size: planning wall time (the reference planner in one invocation, where it is run,
// and the fan-out planner: the timer's listing and the shards), storage transactions per server
// per sweep, peak RSS, servers drained per second by one worker, and an extrapolation to Azure.
//
// Azurite is a single Node process on this machine's cores, shared with this process (planner,
// queue listener, Logs Ingestion endpoint): its per-call latency is what limits the wall times
// measured here. The extrapolation therefore replaces it with a stated per-call latency
// (BENCH_AZURE_LATENCY_MS, default 20 ms: an assumption for one List Blobs call of up to a few
// hundred entries from a function in the same region, not a documented figure) and the
// concurrency the design uses (PLAN_PARALLEL listings per shard, one shard per queue message).
// Environment: BENCH_SCALE_SIZES (default 1000,5000,20000), BENCH_REFERENCE_MAX (the largest fleet
// the reference planner is run for, default 5000), BENCH_DRAIN (grown servers drained, default 500),
// BENCH_AT (the planners' clock, ISO; default now). Between 00:00 and 03:00 UTC the previous day's
// last hours are recent too, so the fan-out planner lists two day prefixes per server then.
import { cpus, totalmem } from 'node:os';
import { simulateFleet, type ScaleResult } from './scale-sim.js';
import { hostQueueSettings } from '../../src/config/host-queue-settings.js';
import { PLAN_PARALLEL, PLAN_SHARD_SIZE } from '../../src/ship/plan-shard.js';
import { startStack } from '../../test/support/index.js';

const sizes = (process.env.BENCH_SCALE_SIZES ?? '1000,5000,20000').split(',').map(Number);
const referenceMax = Number(process.env.BENCH_REFERENCE_MAX ?? 5000);
const drainLimit = Number(process.env.BENCH_DRAIN ?? 500);
const latencyMs = Number(process.env.BENCH_AZURE_LATENCY_MS ?? 20);
const at = process.env.BENCH_AT ? new Date(process.env.BENCH_AT) : undefined;
const INTERVAL_S = 300;

const s = (ms: number): string => (ms / 1000).toFixed(1);
const results: ScaleResult[] = [];
const stack = await startStack({ queue: true, ingestion: { countOnly: true } });
try {
  for (const servers of sizes) {
    console.error(`bench:scale: ${servers} servers`);
    results.push(await simulateFleet(stack, { servers, reference: servers <= referenceMax, drainLimit, now: at, log: (l) => console.error(l) }));
  }
} finally {
  await stack.close();
}

console.log(`\nbench:scale ${new Date().toISOString().slice(0, 16)}Z (planners' clock ${(at ?? new Date()).toISOString().slice(11, 16)} UTC), ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; Azurite in-memory on the same cores`);
console.log('| servers | grown | reference planner: wall s / transactions per server | fan-out: timer s / shards / shard s (max) / all shards s (2 at a time) | fan-out transactions per server | doc reads | peak RSS MB (whole bench process) | drained servers/s (1 worker) | CPU ms per drained server |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const ref = r.reference ? `${s(r.reference.wallMs)} / ${r.reference.perServer.toFixed(2)}` : 'not run';
  console.log(`| ${r.servers} | ${r.grown} | ${ref} | ${s(r.fanOut.timerMs)} / ${r.fanOut.shards} / ${s(r.fanOut.shardMsMax)} / ${s(r.fanOut.wallMs)} | ${r.fanOut.perServer.toFixed(2)} | ${r.fanOut.stats.docReads} | ${r.peakRssMb.toFixed(0)} | ${r.drain.perSecond.toFixed(1)} | ${r.drain.cpuMsPerServer.toFixed(1)} |`);
}

// Extrapolation to Azure, from the measured calls and the stated latency.
console.log(`\nextrapolated at ${latencyMs} ms per storage call (assumed), ${PLAN_PARALLEL} listings at once per shard of ${PLAN_SHARD_SIZE}:`);
for (const r of results) {
  const perServerCalls = r.fanOut.perServer;
  const azurite = r.fanOut.wallMs / ((r.fanOut.transactions * 1) / (2 * PLAN_PARALLEL)); // ms per call as measured here (2 shards × PLAN_PARALLEL at once)
  const timerS = (Math.ceil(r.servers / PLAN_SHARD_SIZE) * latencyMs) / 1000;
  const shardS = (Math.min(PLAN_SHARD_SIZE, r.servers) * perServerCalls * latencyMs) / PLAN_PARALLEL / 1000;
  const host = hostQueueSettings();
  const perInstance = host.batchSize + host.newBatchThreshold; // messages one instance runs at once (host.json)
  const oneInstanceS = timerS + Math.ceil(Math.ceil(r.servers / PLAN_SHARD_SIZE) / perInstance) * shardS;
  const refS = r.reference ? (r.servers * r.reference.perServer * latencyMs) / 1000 : (r.servers * 4 * latencyMs) / 1000;
  const grownPerInterval = r.grown;
  const instances10 = Math.ceil(grownPerInterval / (r.drain.perSecond * INTERVAL_S));
  const instancesAll = Math.ceil(r.servers / (r.drain.perSecond * INTERVAL_S));
  console.log(
    `  ${r.servers} servers: Azurite measured ~${azurite.toFixed(1)} ms per call at this concurrency; reference planner (sequential) ~${refS.toFixed(0)} s; ` +
      `fan-out: timer ${timerS.toFixed(1)} s + one shard ${shardS.toFixed(1)} s (all ${Math.ceil(r.servers / PLAN_SHARD_SIZE)} shards on one instance, ${perInstance} at once: ~${oneInstanceS.toFixed(1)} s); ` +
      `drain at ${r.drain.perSecond.toFixed(1)} servers/s per worker: ${instances10} instance(s) for 10 % grown per 5-minute interval, ${instancesAll} for every server grown`,
  );
}
