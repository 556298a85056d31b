// What a damaged or old state does (issue 10): every document is validated on read; a server
// whose document cannot be read stops alone (named blob, lease released) while the others ship;
// a lost checkpoint or document is announced before anything is
// re-read; `status` reports the bad document instead of printing NaN.
import { describe, expect, it } from 'vitest';
import { planFromListing, planLookback } from '../../src/ship/plan.js';
import { runShipping } from '../../src/ship/shipping-run.js';
import { StateStore } from '../../src/state/state-store.js';
import { runCli } from '../helpers/cli-process.js';
import { acceptedFor, append, appendBlob, cliEnv, expectExactlyOnce, scenario, stackPerFile, type Scenario } from './harness.js';
import { bytesOf, hourBlob, serverPath, SessionScript } from './workload.js';

const stack = stackPerFile();

const HOUR = new Date('2026-11-06T08:00:00Z');
const at = (minutes: number): Date => new Date(HOUR.getTime() + minutes * 60_000);

async function withBlob(server: string, statements: number): Promise<{ s: SessionScript; name: string }> {
  const name = hourBlob(server, HOUR);
  const s = new SessionScript(`6d${server.length}.${statements}`, 700 + server.length, 'pia', 'sales', at(1), server);
  await append(await appendBlob(stack, name), bytesOf([...s.connect(), ...s.audit(statements)]));
  return { s, name };
}

const docOf = (sc: Scenario, server: string) => sc.ctx.store.container.getBlockBlobClient(StateStore.serverDocName(serverPath(server)));
async function writeDoc(sc: Scenario, server: string, text: string): Promise<void> {
  await docOf(sc, server).upload(text, Buffer.byteLength(text));
}
async function readDoc(sc: Scenario, server: string): Promise<Record<string, unknown>> {
  return JSON.parse((await docOf(sc, server).downloadToBuffer()).toString()) as Record<string, unknown>;
}
const shipBoth = async (sc: Scenario, servers: string[]) => {
  const { plan, problems } = await planFromListing(sc.ctx.deps.source, sc.ctx.store, '', at(30), sc.ctx.config.lookbackMs);
  for (const key of [...plan.keys()]) if (!servers.some((s) => key === serverPath(s))) plan.delete(key);
  const summary = await runShipping(plan, sc.ctx.deps);
  return { ...summary, problems };
};

describe('a server document this release cannot read', () => {
  const damages: { name: string; damage: (doc: Record<string, unknown>, text: string) => string; code: string; problem: RegExp }[] = [
    { name: 'garbage', damage: () => 'not json at all', code: 'StateDocumentInvalid', problem: /is not valid JSON/ },
    { name: 'truncated JSON', damage: (_d, text) => text.slice(0, Math.floor(text.length / 2)), code: 'StateDocumentInvalid', problem: /is not valid JSON/ },
    {
      name: '"offset":"abc"',
      damage: (d) => JSON.stringify({ ...d, blobs: Object.fromEntries(Object.entries(d.blobs as Record<string, object>).map(([k, v]) => [k, { ...v, offset: 'abc' }])) }),
      code: 'StateDocumentInvalid',
      problem: /does not have the expected shape: blobs\..*\.offset/,
    },
    { name: 'a newer version', damage: (d) => JSON.stringify({ ...d, version: 99 }), code: 'StateDocumentTooNew', problem: /has version 99; this release reads 2/ },
  ];

  it.each(damages)('$name: that server stops with the blob named and its lease released; the other ships; status says so', async ({ name, damage, code, problem }) => {
    const broken = `pg-bad-${damages.findIndex((d) => d.name === name)}`;
    const healthy = `${broken}-ok`;
    const sc = await scenario(stack, { now: () => at(30), flushBytes: 5_000 });
    await withBlob(broken, 20);
    expect((await shipBoth(sc, [broken])).errors).toEqual([]);
    const text = (await docOf(sc, broken).downloadToBuffer()).toString();
    await writeDoc(sc, broken, damage(await readDoc(sc, broken), text));
    const { s } = await withBlob(healthy, 10);

    const run = await shipBoth(sc, [broken, healthy]);
    expect(run.errors.map((e) => [e.server, e.code])).toEqual([[serverPath(broken), code]]);
    expect(run.errors[0]!.message).toContain(StateStore.serverDocName(serverPath(broken)));
    expect(run.errors[0]!.message).toMatch(problem);
    expect(run.errors[0]!.hint).toBeTruthy();
    expect((await docOf(sc, broken).getProperties()).leaseState).toBe('available');
    expectExactlyOnce(acceptedFor(stack, healthy), s.expected, { otherRows: 1 });

    // The timer's plan still looks at the healthy server (nothing new there) and reports the bad document.
    const live = await planLookback(sc.ctx.deps.source, sc.ctx.store, at(31), 15 * 60_000);
    expect(live.problems.map((p) => p.blob)).toEqual([StateStore.serverDocName(serverPath(broken))]);
    expect([live.stats.serversSeen, live.stats.blobsChecked, [...live.plan.keys()]]).toEqual([1, 1, []]);

    const status = await runCli(['status', '--prefix', serverPath(broken), '--state-container', sc.ctx.store.container.containerName, '--json'], cliEnv(stack));
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(problem);
    expect(status.stdout + status.stderr).not.toMatch(/NaN/);
    // Its blob's progress is unknown, not "checkpoint lost at offset 0" (which reads as a full re-ship).
    const shown = status.stdout.trim().split('\n').map((l) => JSON.parse(l) as { state: string; offset: number | null; bytesBehind: number | null });
    expect(shown.map((b) => [b.state, b.offset, b.bytesBehind])).toEqual([['state-unreadable', null, null]]);
    expect(status.stderr).toMatch(/1 blob\(s\) of servers whose state document cannot be read: their progress is unknown/);
  });

  it('a session snapshot that is not valid stops that server, naming the snapshot blob', async () => {
    const server = 'pg-bad-sessions';
    const sc = await scenario(stack, { now: () => at(30) });
    await withBlob(server, 5);
    await shipBoth(sc, [server]);
    const pointer = (await readDoc(sc, server)).sessions as { blob: string };
    await sc.ctx.store.container.getBlockBlobClient(pointer.blob).upload('{"version":2,"sessions":"lots"}', 31);
    await withBlob(server, 1); // something new, so the server is shipped (and its state read) again
    const run = await shipBoth(sc, [server]);
    expect(run.errors.map((e) => e.code)).toEqual(['StateDocumentInvalid']);
    expect(run.errors[0]!.message).toContain(pointer.blob);
    expect(run.errors[0]!.hint).toMatch(/delete .* to continue without it/);

    // status says so too, and fails, before any run meets it.
    const status = await runCli(['status', '--prefix', serverPath(server), '--state-container', sc.ctx.store.container.containerName], cliEnv(stack));
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(pointer.blob);
    expect(status.stderr).toMatch(/error: .*does not have the expected shape/);
  });
});

describe('old and lost state', () => {
  it('the server document holds offsets only: planning reads no session snapshot', async () => {
    const server = 'pg-small-doc';
    const sc = await scenario(stack, { now: () => at(30) });
    const sessions = Array.from({ length: 40 }, (_, i) => new SessionScript(`6e${i}.1`, 600 + i, `user${i}`, 'db', at(1), server, 2000));
    await append(await appendBlob(stack, hourBlob(server, HOUR)), bytesOf(sessions.flatMap((s) => [...s.connect(), ...s.audit(3)])));
    await shipBoth(sc, [server]);
    const doc = await readDoc(sc, server);
    expect(Object.keys(doc).sort()).toEqual(['blobs', 'createdAt', 'serverPath', 'sessions', 'updatedAt', 'version']);
    expect(doc.sessions).toMatchObject({ count: 40, generation: expect.any(Number) as number });
    expect(JSON.stringify(doc).length).toBeLessThan(1500);
    const snapshot = (await sc.ctx.store.container.getBlobClient((doc.sessions as { blob: string }).blob).downloadToBuffer()).length;
    expect(snapshot).toBeGreaterThan(40 * 2000); // the remembered statements live there
  });

  it('an emptied blobs map is announced (the blob marker shows it was being shipped) before the blob is re-read from 0', async () => {
    const server = 'pg-emptied';
    const sc = await scenario(stack, { now: () => at(30) });
    const { s } = await withBlob(server, 8);
    await shipBoth(sc, [server]);
    await writeDoc(sc, server, JSON.stringify({ ...(await readDoc(sc, server)), blobs: {} }));
    const run = await shipBoth(sc, [server]);
    expect(run.notices.map((n) => n.code)).toEqual(['CheckpointLost']);
    expect(run.notices[0]!.message).toMatch(/checkpoint of .* is missing from servers\/.* re-reading it from offset 0/);
    expect(sc.messages.some((m) => m.includes('CheckpointLost') || /checkpoint of .* is missing/.test(m))).toBe(true);
    expectExactlyOnce(acceptedFor(stack, server), s.expected, { otherRows: 1, duplicatesAllowed: true });
  });

  it('a deleted document is announced (markers and snapshots show the server was shipped) before anything is re-read', async () => {
    const server = 'pg-deleted';
    const sc = await scenario(stack, { now: () => at(30) });
    const { s } = await withBlob(server, 6);
    await shipBoth(sc, [server]);
    await docOf(sc, server).delete();
    const run = await shipBoth(sc, [server]);
    expect(run.notices.map((n) => n.code)).toEqual(expect.arrayContaining(['StateDocumentMissing']));
    expect(run.notices.find((n) => n.code === 'StateDocumentMissing')!.message).toMatch(/did not exist, yet markers\/.* show this server was shipped before/);
    expectExactlyOnce(acceptedFor(stack, server), s.expected, { otherRows: 1, duplicatesAllowed: true });
  });
});
