// `status`: per-blob lag. Lists the diagnostic blobs under a prefix and compares each with its
// checkpoint or marker: bytes behind (current length − shipped offset). A blob whose creation
// time differs from the one recorded was replaced and is behind by its whole length; so is a
// blob whose marker says it was being shipped while the server document has no checkpoint. A blob
// of a server whose document cannot be read is `state-unreadable`: its offset is unknown (not 0:
// nothing will be re-shipped; the server stops until the document is fixed), and so is the lag.
// Each server's session snapshot is read too: one the run could not read is an error.
// When the state account's queue service can be reached, the poison queue's message count too:
// servers whose queue message failed maxDequeueCount times (docs/deploy.md "Scale-out").
import { blobServiceClient } from '../config/azure-clients.js';
import { queueServiceClient } from '../config/queue-client.js';
import { PgAuditError } from '../errors/pgaudit-error.js';
import { runErrorOf } from '../errors/run-error.js';
import { POISON_SUFFIX } from '../ship/server-queue.js';
import { completeSettings } from '../config/settings.js';
import { StateStore, type ListedMarker } from '../state/state-store.js';
import type { BlobCheckpoint } from '../state/documents.js';
import { parseBlobPath } from '../read/blob-path.js';
import { replaced } from '../ship/plan.js';
import { STORAGE_KEYS } from '../config/settings-model.js';
import { resolveCliSettings } from './cli-settings.js';
import type { CliIo } from './parse-command.js';

export interface StatusCliOptions extends Readonly<Record<string, unknown>> {
  readonly prefix: string;
  readonly json?: boolean;
  readonly all?: boolean;
}

export type BlobState = 'tracked' | 'done' | 'untracked' | 'replaced' | 'checkpoint-lost' | 'state-unreadable';

export interface BlobStatus {
  readonly blob: string;
  readonly length: number;
  /** Shipped up to here; null when the server's state document cannot be read. */
  readonly offset: number | null;
  readonly bytesBehind: number | null;
  /** Bytes behind on a blob whose hour has ended: late appends not shipped yet. */
  readonly lateBytesBehind: number | null;
  readonly state: BlobState;
  readonly rows: number | null;
  readonly deadLettered: number | null;
  readonly updatedAt: string | null;
}

function statusOf(blob: string, length: number, createdOn: string | null, cp: BlobCheckpoint | undefined, marker: ListedMarker | undefined, unreadable: boolean, now: Date): BlobStatus {
  const hour = parseBlobPath(blob).hourStart;
  const ended = hour !== null && now.getTime() >= hour.getTime() + 3_600_000;
  const behind = (offset: number, state: BlobState, more: Partial<BlobStatus> = {}): BlobStatus => {
    const bytesBehind = Math.max(0, length - offset);
    return { blob, length, offset, bytesBehind, lateBytesBehind: ended ? bytesBehind : 0, state, rows: null, deadLettered: null, updatedAt: null, ...more };
  };
  const known = cp ?? marker;
  if (unreadable) return { blob, length, offset: null, bytesBehind: null, lateBytesBehind: null, state: 'state-unreadable', rows: null, deadLettered: null, updatedAt: null };
  if (known && replaced(known, { length, createdOn })) return behind(0, 'replaced');
  if (cp) return behind(cp.offset, 'tracked', { rows: cp.rows, deadLettered: cp.deadLettered, updatedAt: cp.updatedAt });
  if (marker?.state === 'done') return behind(marker.offset, 'done');
  if (marker?.state === 'tracking') return behind(0, 'checkpoint-lost');
  return behind(0, 'untracked');
}

/** The poison queue: its message count, or why it could not be read. */
export type PoisonStatus = { readonly queue: string; readonly messages: number } | { readonly queue: string; readonly unreachable: string };

async function poisonStatus(s: { stateStorage: Parameters<typeof queueServiceClient>[0]; clientId?: string | undefined; queueName: string }): Promise<PoisonStatus> {
  const queue = `${s.queueName}${POISON_SUFFIX}`;
  try {
    // One try, short: status must not hang on a queue service it cannot reach.
    const client = queueServiceClient(s.stateStorage, s.clientId, { retryOptions: { maxTries: 1, tryTimeoutInMs: 10_000 } }).getQueueClient(queue);
    return { queue, messages: (await client.getProperties()).approximateMessagesCount ?? 0 };
  } catch (err) {
    if (err instanceof PgAuditError) return { queue, unreachable: err.describe() };
    const e = runErrorOf(null, err);
    return { queue, unreachable: e.code === 'Storage404' ? 'the queue does not exist (nothing was enqueued through this account yet)' : e.message };
  }
}

export async function collectStatus(o: StatusCliOptions, io: CliIo): Promise<{ blobs: BlobStatus[]; problems: string[]; poison: PoisonStatus }> {
  const s = completeSettings(await resolveCliSettings(o, STORAGE_KEYS, ['logsStorage']));
  const logs = blobServiceClient(s.logsStorage, s.clientId);
  const store = new StateStore(blobServiceClient(s.stateStorage, s.clientId).getContainerClient(s.stateContainer));
  const checkpoints = new Map<string, BlobCheckpoint>();
  const markers = new Map<string, ListedMarker>();
  const problems: string[] = [];
  const unreadable = new Set<string>();
  if (await store.container.exists()) {
    const { states, problems: bad } = await store.listServers();
    for (const e of bad) {
      problems.push(e.describe());
      unreadable.add(e.blob);
    }
    for (const server of states) {
      if (o.prefix && !server.serverPath.startsWith(o.prefix) && !o.prefix.startsWith(server.serverPath)) continue;
      for (const [name, cp] of Object.entries(server.blobs)) checkpoints.set(name, cp);
      const snapshot = await store.sessionSnapshotProblem(server);
      if (snapshot?.kind === 'error') problems.push(snapshot.message);
      else if (snapshot) io.stderr.write(`pgaudit-ingest: warning: ${snapshot.message}\n`);
    }
    for await (const m of store.listMarkers(o.prefix)) markers.set(m.blob, m);
  } else {
    io.stderr.write(`pgaudit-ingest: state container ${s.stateContainer} does not exist yet: nothing was shipped from this state\n`);
  }
  const blobs: BlobStatus[] = [];
  const now = new Date();
  for await (const item of logs.getContainerClient(s.logsContainer).listBlobsFlat({ prefix: o.prefix || undefined })) {
    if (!item.name.endsWith('.json')) continue;
    const docUnreadable = unreadable.has(StateStore.serverDocName(parseBlobPath(item.name).serverPath));
    blobs.push(statusOf(item.name, item.properties.contentLength ?? 0, item.properties.createdOn?.toISOString() ?? null, checkpoints.get(item.name), markers.get(item.name), docUnreadable, now));
  }
  return { blobs, problems, poison: await poisonStatus(s) };
}

export async function runStatus(o: StatusCliOptions, io: CliIo): Promise<number> {
  const { blobs: all, problems, poison } = await collectStatus(o, io);
  const shown = o.all ? all : all.filter((s) => s.state !== 'done' || (s.bytesBehind ?? 1) > 0);
  if (o.json) {
    for (const s of shown) io.stdout.write(JSON.stringify(s) + '\n');
  } else {
    io.stdout.write(['BYTES_BEHIND', 'LATE', 'OFFSET', 'LENGTH', 'STATE', 'ROWS', 'DEAD', 'BLOB'].join('\t') + '\n');
    for (const s of shown) {
      io.stdout.write([s.bytesBehind ?? '?', s.lateBytesBehind ?? '?', s.offset ?? '?', s.length, s.state, s.rows ?? '-', s.deadLettered ?? '-', s.blob].join('\t') + '\n');
    }
  }
  const behind = all.reduce((n, s) => n + (s.bytesBehind ?? 0), 0);
  const late = all.reduce((n, s) => n + (s.lateBytesBehind ?? 0), 0);
  const counts: Record<BlobState, number> = { tracked: 0, untracked: 0, done: 0, replaced: 0, 'checkpoint-lost': 0, 'state-unreadable': 0 };
  for (const s of all) counts[s.state]++;
  const parts = Object.entries(counts).filter(([k, n]) => n > 0 || k === 'tracked').map(([k, n]) => `${n} ${k}`);
  io.stderr.write(`pgaudit-ingest: ${all.length} blob(s): ${parts.join(', ')}; ${behind} byte(s) behind, ${late} of them late growth of blobs past their hour${o.all ? '' : ' (done blobs with nothing behind hidden; --all shows them)'}\n`);
  if (counts['state-unreadable'] > 0) io.stderr.write(`pgaudit-ingest: ${counts['state-unreadable']} blob(s) of servers whose state document cannot be read: their progress is unknown, and those servers stop until the document is fixed (the errors below say how)\n`);
  if ('messages' in poison) io.stderr.write(`pgaudit-ingest: poison queue ${poison.queue}: ${poison.messages} message(s)${poison.messages > 0 ? ' (servers whose queue message failed every attempt: see the QueueMessagePoisoned run records)' : ''}\n`);
  else io.stderr.write(`pgaudit-ingest: poison queue ${poison.queue}: not read: ${poison.unreachable}\n`);
  for (const p of problems) io.stderr.write(`pgaudit-ingest: error: ${p}\n`);
  return problems.length > 0 ? 1 : 0;
}
