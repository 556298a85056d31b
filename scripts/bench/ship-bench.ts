// `npm run bench`, second measure: shipping the benchmark blob against `parse` of the same file,
// in one run. The blob is put into Azurite (npm) and `pgaudit-ingest ship` (the package bin, a
// separate process, heap-capped as users run it) sends it through the real SDK clients and a real
// managed-identity flow to the local HTTPS Logs Ingestion endpoint, which only counts (so the
// shipper, not the test double, is measured). Alternating runs, fresh state each time.
// Targets (issue 13): ship ≤ 1.5× parse (must be ≤ 2.0×), peak RSS ≤ 256 MB, requests ≥ 0.9 MB.
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, TEST_RULE_ID } from '../../test/support/index.js';
import { benchBlob } from './bench-blob.mjs';

const root = join(import.meta.dirname, '..', '..');
const runs = Number(process.env.BENCH_SHIP_RUNS ?? 3);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const SERVER = 'resourceId=/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/BENCH/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/PGBENCH/';

function timed(args: string[], env: NodeJS.ProcessEnv): { seconds: number; rssMb: number; stderr: string } {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', join(root, 'test/helpers/report-max-rss.cjs'), join(root, 'bin/pgaudit-ingest.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`pgaudit-ingest ${args[0]} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const rss = Math.max(...[...r.stderr.matchAll(/@@MAXRSS@@(\d+)@@CPU@@\d+/g)].map((m) => Number(m[1]) / 1024));
  return { seconds, rssMb: rss, stderr: r.stderr };
}

const blob = await benchBlob();
const mb = statSync(blob).size / 1e6;
const stack = await startStack({ ingestion: { countOnly: true } });
try {
  const logs = stack.blobs.getContainerClient('insights-logs-postgresqllogs');
  await logs.createIfNotExists();
  const name = `${SERVER}y=2026/m=11/d=01/h=10/m=00/PT1H.json`;
  const append = logs.getAppendBlobClient(name);
  await append.createIfNotExists();
  if ((await append.getProperties()).contentLength !== statSync(blob).size) {
    console.error(`bench: uploading ${mb.toFixed(0)} MB into Azurite...`);
    for await (const chunk of createReadStream(blob, { highWaterMark: 4 * 1024 * 1024 })) await append.appendBlock(chunk as Buffer, (chunk as Buffer).length);
  }
  const caFile = join(mkdtempSync(join(tmpdir(), 'bench-ca-')), 'ca.pem');
  writeFileSync(caFile, stack.ingestion.ca);
  const env = { NODE_EXTRA_CA_CERTS: caFile, PGAUDIT_LOGS_STORAGE: stack.azurite.connectionString };
  const parse: number[] = [];
  const ship: { seconds: number; rssMb: number; requests: number; mbPerRequest: number }[] = [];
  for (let i = 0; i < runs; i++) {
    parse.push(timed(['parse', '--no-progress', '-o', '/dev/null', blob], {}).seconds);
    const before = stack.ingestion.requests.length;
    const r = timed(['ship', '--prefix', SERVER, '--state-container', `bench-state-${Date.now()}`, '--endpoint', stack.ingestion.endpoint, '--rule-id', TEST_RULE_ID], env);
    const requests = stack.ingestion.requests.slice(before).filter((q) => q.status === 204 && q.rows > 1);
    const mbPerRequest = requests.reduce((n, q) => n + q.bytes, 0) / 1e6 / Math.max(1, requests.length);
    ship.push({ seconds: r.seconds, rssMb: r.rssMb, requests: requests.length, mbPerRequest });
    console.error(`bench: run ${i + 1}/${runs}: parse ${parse.at(-1)!.toFixed(2)} s, ship ${r.seconds.toFixed(2)} s (ratio ${(r.seconds / parse.at(-1)!).toFixed(2)}), ${requests.length} requests of ${mbPerRequest.toFixed(3)} MB, peak RSS ${r.rssMb.toFixed(0)} MB`);
  }
  const p = median(parse);
  const s = median(ship.map((x) => x.seconds));
  const result = {
    blobMB: Number(mb.toFixed(1)),
    parseSeconds: Number(p.toFixed(2)),
    shipSeconds: Number(s.toFixed(2)),
    shipMBps: Number((mb / s).toFixed(1)),
    shipRatio: Number((s / p).toFixed(2)),
    runRatios: ship.map((x, i) => Number((x.seconds / parse[i]!).toFixed(2))),
    shipPeakRssMB: Number(Math.max(...ship.map((x) => x.rssMb)).toFixed(0)),
    requests: ship.at(-1)!.requests,
    mbPerRequest: Number(ship.at(-1)!.mbPerRequest.toFixed(3)),
  };
  console.log(JSON.stringify(result, null, 2));
  const verdict = result.shipRatio <= 1.5 ? 'meets target (≤ 1.5)' : result.shipRatio <= 2.0 ? 'within limit (≤ 2.0), above target 1.5' : 'ABOVE LIMIT 2.0';
  console.log(`ship/parse ratio ${result.shipRatio}: ${verdict}; ship peak RSS ${result.shipPeakRssMB} MB (≤ 256 MB); ${result.mbPerRequest} MB per request (≥ 0.9)`);
} finally {
  await stack.close();
}
