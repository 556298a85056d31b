// `npm run bench`, second measure: shipping the benchmark blob against `parse` of the same file,
// in one run. The blob is put into Azurite (npm) and `pgaudit-ingest ship` (the package bin, a
// separate process, heap-capped as users run it) sends it through the real SDK clients and a real
// managed-identity flow to the local HTTPS Logs Ingestion endpoint, which only counts (so the
// shipper, not the test double, is measured). Alternating runs, fresh state each time.
// Targets (issue 13): ship ≤ 1.5× parse (must be ≤ 2.0×), peak RSS ≤ 256 MB, requests ≥ 0.9 MB.
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, TEST_RULE_ID } from '../../test/support/index.js';
import { benchBlob } from './bench-blob.mjs';

const root = join(import.meta.dirname, '..', '..');
const runs = Number(process.env.BENCH_SHIP_RUNS ?? 3);
/** CPU seconds (user + system) a process has used so far, from /proc (Linux); null elsewhere. */
function processCpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return null;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const SERVER = 'resourceId=/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/BENCH/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/PGBENCH/';

/** Runs the CLI as a separate process; asynchronously, because this process serves its endpoints. */
async function timed(args: string[], env: NodeJS.ProcessEnv): Promise<{ seconds: number; rssMb: number; cpuSeconds: number; stderr: string }> {
  const started = process.hrtime.bigint();
  // BENCH_NODE_ARGS, e.g. '--cpu-prof --cpu-prof-dir=/tmp/p' with PGAUDIT_INGEST_HEAP_MB=0 and --max-old-space-size=160 to profile.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--require', join(root, 'test/helpers/report-max-rss.cjs'), join(root, 'bin/pgaudit-ingest.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`pgaudit-ingest ${args[0]} failed (${code}): ${stderr.slice(-2000)}`);
  // Every thread that loaded the preload (worker threads inherit it) reports the whole process's
  // peak RSS and CPU time, so the largest report is the process's.
  const reports = [...stderr.matchAll(/@@MAXRSS@@(\d+)@@CPU@@(\d+)/g)];
  const rss = Math.max(...reports.map((m) => Number(m[1]) / 1024));
  const cpuSeconds = Math.max(...reports.map((m) => Number(m[2]) / 1e6));
  return { seconds, rssMb: rss, cpuSeconds, stderr };
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
  const parseCpu: number[] = [];
  const ship: { seconds: number; cpuSeconds: number; rigCpu: { azurite: number | null; endpoint: number }; rssMb: number; requests: number; mbPerRequest: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const pr = await timed(['parse', '--no-progress', '-o', '/dev/null', blob], {});
    parse.push(pr.seconds);
    parseCpu.push(pr.cpuSeconds);
    const before = stack.ingestion.requests.length;
    const rigBefore = { azurite: processCpuSeconds(stack.azurite.pid), endpoint: process.cpuUsage() };
    const r = await timed(['ship', '--prefix', SERVER, '--state-container', `bench-state-${Date.now()}`, '--endpoint', stack.ingestion.endpoint, '--rule-id', TEST_RULE_ID], env);
    const endpointCpu = process.cpuUsage(rigBefore.endpoint);
    const azuriteAfter = processCpuSeconds(stack.azurite.pid);
    const rigCpu = { azurite: azuriteAfter === null || rigBefore.azurite === null ? null : azuriteAfter - rigBefore.azurite, endpoint: (endpointCpu.user + endpointCpu.system) / 1e6 };
    const requests = stack.ingestion.requests.slice(before).filter((q) => q.status === 204 && q.rows > 1);
    const mbPerRequest = requests.reduce((n, q) => n + q.bytes, 0) / 1e6 / Math.max(1, requests.length);
    ship.push({ seconds: r.seconds, cpuSeconds: r.cpuSeconds, rigCpu, rssMb: r.rssMb, requests: requests.length, mbPerRequest });
    console.error(
      `bench: run ${i + 1}/${runs}: parse ${pr.seconds.toFixed(2)} s (CPU ${pr.cpuSeconds.toFixed(2)} s), ship ${r.seconds.toFixed(2)} s (CPU ${r.cpuSeconds.toFixed(2)} s; ratio ${(r.seconds / pr.seconds).toFixed(2)}), ` +
        `${requests.length} requests of ${mbPerRequest.toFixed(3)} MB, peak RSS ${r.rssMb.toFixed(0)} MB; meanwhile Azurite used ${rigCpu.azurite?.toFixed(2) ?? '?'} s CPU, the endpoint ${rigCpu.endpoint.toFixed(2)} s`,
    );
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
    // CPU time of the shipping process against parse's: less sensitive to other load on the machine
    // (Azurite and the endpoint run in other processes and are not counted).
    parseCpuSeconds: Number(median(parseCpu).toFixed(2)),
    shipCpuSeconds: Number(median(ship.map((x) => x.cpuSeconds)).toFixed(2)),
    // The test rig's share of the same cores while ship ran (Azurite serves the blob and the
    // state; the endpoint, in this process, gunzips and counts).
    rigCpuSeconds: { azurite: ship.at(-1)!.rigCpu.azurite, endpoint: Number(ship.at(-1)!.rigCpu.endpoint.toFixed(2)) },
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
