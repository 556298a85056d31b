// A blob is never final (issue 11): appends after a blob's hour arrive exactly once and a cut
// line waits inside the lookback; only past the lookback does it become one UNPARSED row; a blob
// outside the lookback is not listed again; a replaced blob is read again with new RecordIds; a
// tracked blob that is deleted is recorded.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditPipeline } from '../../src/pipeline/audit-pipeline.js';
import { chunkRows } from '../../src/pipeline/chunk-rows.js';
import { RUN_STREAM_NAME } from '../../src/run-record-schema.js';
import { STREAM_NAME } from '../../src/schema.js';
import { dayPrefixes } from '../../src/ship/plan.js';
import { runCli } from '../helpers/cli-process.js';
import { requireOrSkip } from '../helpers/tools.js';
import { TEST_RULE_ID } from '../support/stack.js';
import { append, appendBlob, cliEnv, LOGS, scenario, shipListed, stackPerFile, sweepLive } from './harness.js';
import { bytesOf, hourBlob, serverPath, SessionScript } from './workload.js';
import { parseBlobPath, serverNameOfPath, serverRelativeBlobName } from '../../src/read/blob-path.js';

const stack = stackPerFile();
const SAMPLE = path.resolve(import.meta.dirname, '../../../shared/samples/azure-flexible-postgresqllogs-PT1H.json');
const HOUR_MS = 3_600_000;
const hourOf = (t: number): Date => new Date(Math.floor(t / HOUR_MS) * HOUR_MS);

/** The rows of a whole blob as `parse` makes them (ground truth: the file, read in one piece). */
async function truthOf(bytes: Buffer, blob: string): Promise<{ offset: number; type: string }[]> {
  const rows = [];
  for await (const b of chunkRows([bytes], new AuditPipeline(), { sourceBlob: blob, final: true })) rows.push(...b.rows);
  return rows.map((r) => ({ offset: r.SourceOffset!, type: r.EventType! }));
}

// Rows and run records name a blob by its server and its name relative to the server.
const sameBlob = (r: { ServerName?: unknown; SourceBlob?: unknown }, blob: string): boolean =>
  r.SourceBlob === serverRelativeBlobName(blob) && r.ServerName === serverNameOfPath(parseBlobPath(blob).serverPath);
const rowsOf = (blob: string) => stack.ingestion.accepted.filter((r) => sameBlob(r, blob));

describe('late appends', () => {
  it('a past hour blob that grows in three steps, cut mid-line, arrives exactly once with no UNPARSED row (the CLI, as a user runs it)', async (ctx) => {
    requireOrSkip(ctx, existsSync(SAMPLE), `the real Azure sample is not at ${SAMPLE}`);
    const bytes = readFileSync(SAMPLE);
    const server = 'pg-late';
    const name = hourBlob(server, hourOf(Date.now() - 3 * HOUR_MS)); // its hour ended two hours ago
    const blob = await appendBlob(stack, name);
    const third = Math.floor(bytes.length / 3);
    const lineEnd = bytes.indexOf(0x0a, third);
    const cut = third + Math.floor((lineEnd - third) / 2) + 1; // inside a line
    const args = ['ship', '--prefix', serverPath(server), '--state-container', 'late-state', '--endpoint', stack.ingestion.endpoint, '--rule-id', TEST_RULE_ID, '--stream', STREAM_NAME];

    await append(blob, bytes.subarray(0, cut));
    expect((await runCli(args, cliEnv(stack))).code).toBe(0);
    const afterFirst = rowsOf(name).length;
    expect(afterFirst).toBeGreaterThan(0);
    await append(blob, bytes.subarray(cut));
    const status = await runCli(['status', '--prefix', serverPath(server), '--state-container', 'late-state', '--json'], cliEnv(stack));
    // Behind: the rest, and the cut line's first half, which waited; all of it late growth.
    const st = JSON.parse(status.stdout.trim()) as { state: string; bytesBehind: number; lateBytesBehind: number };
    expect(st.state).toBe('tracked');
    expect(st.bytesBehind).toBeGreaterThan(bytes.length - cut);
    expect(st.lateBytesBehind).toBe(st.bytesBehind);
    for (let i = 0; i < 2; i++) expect((await runCli(args, cliEnv(stack))).code).toBe(0);

    const arrived = rowsOf(name);
    expect(arrived.filter((r) => r.EventType === 'UNPARSED')).toEqual([]);
    expect(new Set(arrived.map((r) => r.RecordId)).size).toBe(arrived.length);
    const truth = await truthOf(bytes, name);
    expect(arrived.map((r) => ({ offset: r.SourceOffset, type: r.EventType }))).toEqual(truth);
    // Every byte came after the hour: the run records count all of it as late.
    const records = stack.ingestion.acceptedOn(RUN_STREAM_NAME).filter((r) => sameBlob(r, name) && r.RecordType === 'blob');
    expect(records.reduce((n, r) => n + (r.LateBytes as number), 0)).toBe(bytes.length);
    expect(records.reduce((n, r) => n + (r.RowsShipped as number), 0)).toBe(truth.length);
  });

  it('a cut last line waits inside the lookback; past it, it becomes one UNPARSED row and the blob is done', async () => {
    const server = 'pg-expiry';
    const hour = new Date('2026-11-20T10:00:00Z');
    let now = new Date(hour.getTime() + 2 * HOUR_MS);
    const sc = await scenario(stack, { now: () => now, lookbackMs: 6 * HOUR_MS });
    const s = new SessionScript('6f1.1', 611, 'ugo', 'ops', new Date(hour.getTime() + 60_000), server);
    const whole = bytesOf([...s.connect(), ...s.audit(3)]);
    const name = hourBlob(server, hour);
    await append(await appendBlob(stack, name), whole.subarray(0, whole.length - 40));
    const inside = await sweepLive(sc, [serverPath(server)]);
    expect(inside.stats.rows.UNPARSED).toBe(0);
    expect(rowsOf(name).map((r) => r.EventType)).toEqual(['CONNECT', 'AUDIT', 'AUDIT']);
    const lastLine = whole.lastIndexOf(0x0a, whole.length - 2) + 1;
    expect(inside.blobs[0]).toMatchObject({ bytesBehind: whole.length - 40 - lastLine, closed: false });

    now = new Date(hour.getTime() + 8 * HOUR_MS); // the lookback (6 h) has passed
    const past = await sweepLive(sc);
    expect(past.blobs[0]).toMatchObject({ closed: true, bytesBehind: 0 });
    const unparsed = rowsOf(name).filter((r) => r.EventType === 'UNPARSED');
    expect(unparsed).toHaveLength(1);
    expect(unparsed[0]!.Detail).toMatch(/the blob ends in a cut line that was never completed/);
    expect((await sc.ctx.store.readMarker(name))?.state).toBe('done');
  });

  it('a blob outside the lookback is not listed again, even when it grows', async () => {
    const server = 'pg-outside';
    const hour = new Date('2026-11-10T03:00:00Z');
    let now = new Date(hour.getTime() + 30 * 60_000);
    const sc = await scenario(stack, { now: () => now, lookbackMs: 2 * HOUR_MS });
    const s = new SessionScript('6f2.1', 621, 'vera', 'ops', new Date(hour.getTime() + 60_000), server);
    const name = hourBlob(server, hour);
    const blob = await appendBlob(stack, name);
    await append(blob, bytesOf([...s.connect(), ...s.audit(2)]));
    await sweepLive(sc, [serverPath(server)]);
    now = new Date(hour.getTime() + 4 * HOUR_MS);
    expect((await sweepLive(sc)).blobs.map((b) => b.closed)).toEqual([true]);
    now = new Date(hour.getTime() + 3 * 24 * HOUR_MS);
    await append(blob, bytesOf(s.audit(1)));
    const later = await sweepLive(sc);
    expect(later.planned.stats.blobsChecked).toBe(0);
    expect(later.blobs).toEqual([]);
    // Only the day prefixes inside the lookback are listed.
    expect(dayPrefixes(serverPath(server), now, 2 * HOUR_MS).every((p) => !name.startsWith(p))).toBe(true);
    // `ship` over the prefix still finds the growth (it compares the marker) and ships only it.
    const before = rowsOf(name).length;
    const shipped = await shipListed(sc, serverPath(server));
    expect([shipped.shipped, rowsOf(name).length - before]).toEqual([1, 1]);
  });
});

describe('replaced and deleted blobs', () => {
  it('a past hour blob deleted and created again is read again, with RecordIds the old rows never had; status shows the lag first', async () => {
    const server = 'pg-replaced';
    const hour = new Date('2026-11-12T05:00:00Z');
    const sc = await scenario(stack, { now: () => new Date(hour.getTime() + 3 * HOUR_MS), lookbackMs: HOUR_MS });
    const name = hourBlob(server, hour);
    const first = new SessionScript('6f3.1', 631, 'wes', 'ops', new Date(hour.getTime() + 60_000), server);
    await append(await appendBlob(stack, name), bytesOf([...first.connect(), ...first.audit(20)]));
    expect((await shipListed(sc, serverPath(server))).blobs.map((b) => b.closed)).toEqual([true]);
    const oldIds = new Set(rowsOf(name).map((r) => r.RecordId));

    await stack.blobs.getContainerClient(LOGS).getBlobClient(name).delete();
    await new Promise((r) => setTimeout(r, 1100)); // creation times have a resolution of one second
    const second = new SessionScript('6f3.2', 632, 'xia', 'hr', new Date(hour.getTime() + 120_000), server);
    const fresh = bytesOf([...second.connect(), ...second.audit(2200)]);
    await append(await appendBlob(stack, name), fresh);
    const status = await runCli(['status', '--prefix', serverPath(server), '--state-container', sc.ctx.store.container.containerName, '--json', '--all'], cliEnv(stack));
    expect(JSON.parse(status.stdout.trim())).toMatchObject({ state: 'replaced', offset: 0, bytesBehind: fresh.length });

    await shipListed(sc, serverPath(server));
    const arrivedNow = rowsOf(name).filter((r) => !oldIds.has(r.RecordId));
    expect(arrivedNow.filter((r) => r.EventType === 'AUDIT')).toHaveLength(2200);
    expect(arrivedNow.every((r) => r.UserName === 'xia')).toBe(true);
  });

  it('a tracked blob that is deleted is recorded (a notice, an error run record) and its checkpoint removed', async () => {
    const server = 'pg-deleted-blob';
    const hour = new Date('2026-11-13T05:00:00Z');
    const sc = await scenario(stack, { now: () => new Date(hour.getTime() + 30 * 60_000) });
    const name = hourBlob(server, hour);
    const s = new SessionScript('6f4.1', 641, 'yan', 'ops', new Date(hour.getTime() + 60_000), server);
    await append(await appendBlob(stack, name), bytesOf([...s.connect(), ...s.audit(3)]));
    await sweepLive(sc, [serverPath(server)]);
    await stack.blobs.getContainerClient(LOGS).getBlobClient(name).delete();
    const run = await sweepLive(sc);
    expect(run.notices.map((n) => n.code)).toEqual(['BlobDeleted']);
    expect(run.blobs.map((b) => b.status)).toEqual(['deleted']);
    const { states } = await sc.ctx.store.listServers();
    expect(states.find((x) => x.serverPath === serverPath(server))?.blobs).toEqual({});
    expect((await sc.ctx.store.readMarker(name))?.state).toBe('deleted');
  });
});
