// The fleet scenario (issue 13): 200 servers with a blob each in Azurite, planned by the real
// sweep (one message per server), then drained by 1, 2 and 4 worker processes — real OS
// processes running the app's shipServer handler against the same Azurite queue, state and Logs
// Ingestion endpoint. Every row arrives exactly once (by RecordId); the wall time of each drain
// and the speed-up over one worker are printed. On this 2-core machine Azurite, the endpoint
// (in this process) and the workers share two cores, so the speed-up is bounded by the machine,
// not by the design: the numbers are reported as measured, and only correctness is asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { createRuntime, onSweep, useRuntime } from '../../src/app/function-runtime.js';
import { loadSettings } from '../../src/config/settings.js';
import { appSettingsEnv } from '../support/stack.js';
import { append, appendBlob, cliEnv, expectExactlyOnce, stackPerFile } from './harness.js';
import { bytesOf, hourBlob, SessionScript, type ExpectedAudit } from './workload.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SERVERS = 200;
const STATEMENTS = 30;
const stack = stackPerFile({ queue: true });

interface WorkerResult {
  handled: number;
  failed: number;
  poisoned: number;
  ms: number;
  cpuMs: number;
  errors: string[];
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}


/** A worker process; resolves once it is ready (runtime built, credential warm). */
function startWorker(env: Record<string, string>): Promise<{ child: ChildProcess; done: Promise<WorkerResult> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/scenarios/fleet-worker.ts')], {
    cwd: ROOT,
    env: { ...process.env, ...cliEnv(stack), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  let result: WorkerResult | null = null;
  return new Promise((resolveReady, rejectReady) => {
    const done = new Promise<WorkerResult>((resolve, reject) => {
      child.once('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`worker exited ${code}:\n${stderr}`))));
    });
    lines.on('line', (line) => {
      if (line === 'ready') resolveReady({ child, done });
      else if (line.startsWith('{')) result = JSON.parse(line) as WorkerResult;
    });
    done.catch(rejectReady);
  });
}

async function writeFleet(): Promise<{ expected: ExpectedAudit[]; bytes: number }> {
  const now = new Date();
  const hour = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours()));
  const expected: ExpectedAudit[] = [];
  let bytes = 0;
  const pending = Array.from({ length: SERVERS }, (_, i) => i);
  const writer = async (): Promise<void> => {
    for (let i = pending.shift(); i !== undefined; i = pending.shift()) {
      const server = `pg-fleet-${String(i).padStart(3, '0')}`;
      const s = new SessionScript(`f${i.toString(16)}.1`, 1000 + i, `user${i % 7}`, 'app', hour, server);
      const content = bytesOf([...s.connect(), ...s.audit(STATEMENTS), ...s.disconnect()]);
      bytes += content.length;
      await append(await appendBlob(stack, hourBlob(server, hour)), content);
      expected.push(...s.expected);
    }
  };
  await Promise.all(Array.from({ length: 16 }, writer));
  return { expected, bytes };
}

describe('fleet: 200 servers drained by worker processes', () => {
  it('1, 2 and 4 workers: every row exactly once; wall time and speed-up printed', async () => {
    const { expected, bytes } = await writeFleet();
    const report: { workers: number; ms: number; enqueueMs: number; perWorker: number[]; cpu: { workers: number; azurite: number; endpoint: number }; load: number }[] = [];
    const azuritePids = [stack.azurite.pid, stack.queue!.pid];
    for (const workers of [1, 2, 4]) {
      const id = randomUUID().slice(0, 8);
      const env = appSettingsEnv(stack, `fleet-${id}`);
      // The planner: the real sweep handler over fresh state (every server has work) enqueues.
      const rt = await createRuntime(loadSettings(env), { ...stack.clients(), queue: stack.queueService() });
      useRuntime(rt);
      const t0 = performance.now();
      const { discovered, enqueued } = await onSweep({}, new InvocationContext({ functionName: 'sweep', logHandler: () => undefined }));
      const enqueueMs = Math.round(performance.now() - t0);
      useRuntime(null);
      // Fresh state: every server is discovered, and planned by the workers from planning messages of 100.
      expect(discovered.filter((p) => p.includes('/FLEXIBLESERVERS/PG-FLEET-'))).toHaveLength(SERVERS);
      expect(enqueued).toEqual([]);
      const messages = SERVERS + Math.ceil(discovered.length / 100);
      const from = stack.ingestion.accepted.length;
      const procs = await Promise.all(Array.from({ length: workers }, () => startWorker(env)));
      const started = performance.now();
      const [azuriteCpu, ownCpu] = [azuritePids.reduce((n, pid) => n + cpuMsOf(pid), 0), process.cpuUsage()];
      for (const p of procs) p.child.stdin!.write('go\n');
      const results = await Promise.all(procs.map((p) => p.done));
      const ms = Math.round(performance.now() - started);
      const own = process.cpuUsage(ownCpu);
      const cpu = { workers: results.reduce((n, r) => n + r.cpuMs, 0), azurite: azuritePids.reduce((n, pid) => n + cpuMsOf(pid), 0) - azuriteCpu, endpoint: Math.round((own.user + own.system) / 1000) };
      expect(results.flatMap((r) => r.errors)).toEqual([]);
      expect(results.reduce((n, r) => n + r.failed, 0)).toBe(0);
      expect(results.reduce((n, r) => n + r.handled, 0)).toBe(messages);
      expect((await rt.queue.queue.getProperties()).approximateMessagesCount).toBe(0);
      const rows = stack.ingestion.accepted.slice(from).filter((r) => String(r.ServerName).startsWith('pg-fleet-'));
      // Every AUDIT row once by RecordId and by (session, statement id); CONNECT and DISCONNECT too.
      expectExactlyOnce(rows, expected, { otherRows: 2 * SERVERS });
      report.push({ workers, ms, enqueueMs, perWorker: results.map((r) => r.handled), cpu, load: loadavg()[0]! });
    }
    const base = report[0]!.ms;
    const s = (ms: number): string => (ms / 1000).toFixed(1);
    const table = report.map(
      (r) =>
        `  ${r.workers} worker(s): ${s(r.ms)} s, speed-up ${(base / r.ms).toFixed(2)}x, servers per worker ${r.perWorker.join('/')}; CPU s: workers ${s(r.cpu.workers)}, Azurite ${s(r.cpu.azurite)}, endpoint+test ${s(r.cpu.endpoint)} (of ${s(r.ms * 2)} on 2 cores); load ${r.load.toFixed(1)}; planning + enqueue ${r.enqueueMs} ms`,
    );
    console.log(`fleet: ${SERVERS} servers, ${expected.length + 2 * SERVERS} rows (${(bytes / 1e6).toFixed(1)} MB of blobs) per drain\n${table.join('\n')}`);
    // Each drain shipped everything; more workers must not be slower than one by much (they share the cores).
    for (const r of report) expect(r.perWorker.reduce((a, b) => a + b, 0)).toBe(SERVERS + Math.ceil(SERVERS / 100));
  }, 300_000);
});
