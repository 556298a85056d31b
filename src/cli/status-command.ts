// `status`: per-blob lag. Lists the diagnostic blobs under a prefix and compares each with its
// checkpoint: bytes behind (current length − checkpoint offset), or "done"/"untracked".
import { StateStore } from '../state/state-store.js';
import type { CliIo } from './parse-command.js';
import { storageClients } from './ship-context-from-cli.js';
import type { StorageCliOptions } from './ship-options.js';

export interface StatusCliOptions extends StorageCliOptions {
  readonly prefix: string;
  readonly json?: boolean;
  readonly all?: boolean;
}

export interface BlobStatus {
  readonly blob: string;
  readonly length: number;
  readonly offset: number;
  readonly bytesBehind: number;
  readonly state: 'done' | 'tracked' | 'untracked';
  readonly rows: number | null;
  readonly deadLettered: number | null;
  readonly updatedAt: string | null;
}

export async function collectStatus(o: StatusCliOptions): Promise<BlobStatus[]> {
  const { logs, state } = storageClients(o);
  const store = new StateStore(state.getContainerClient(o.stateContainer));
  const stateContainer = store.container;
  const checkpoints = new Map<string, { offset: number; rows: number; deadLettered: number; updatedAt: string }>();
  const done = new Set<string>();
  if (await stateContainer.exists()) {
    for (const server of await store.listServers()) for (const [name, cp] of Object.entries(server.blobs)) checkpoints.set(name, cp);
    for await (const item of stateContainer.listBlobsFlat({ prefix: 'done/' })) done.add(item.name.slice('done/'.length, -'.json'.length));
  }
  const out: BlobStatus[] = [];
  for await (const item of logs.getContainerClient(o.container).listBlobsFlat({ prefix: o.prefix || undefined })) {
    if (!item.name.endsWith('.json')) continue;
    const length = item.properties.contentLength ?? 0;
    const cp = checkpoints.get(item.name);
    if (done.has(item.name) && !cp) {
      out.push({ blob: item.name, length, offset: length, bytesBehind: 0, state: 'done', rows: null, deadLettered: null, updatedAt: null });
    } else if (cp) {
      out.push({ blob: item.name, length, offset: cp.offset, bytesBehind: Math.max(0, length - cp.offset), state: 'tracked', rows: cp.rows, deadLettered: cp.deadLettered, updatedAt: cp.updatedAt });
    } else {
      out.push({ blob: item.name, length, offset: 0, bytesBehind: length, state: 'untracked', rows: null, deadLettered: null, updatedAt: null });
    }
  }
  return out;
}

export async function runStatus(o: StatusCliOptions, io: CliIo): Promise<number> {
  const all = await collectStatus(o);
  const shown = o.all ? all : all.filter((s) => s.state !== 'done' || s.bytesBehind > 0);
  if (o.json) {
    for (const s of shown) io.stdout.write(JSON.stringify(s) + '\n');
  } else {
    io.stdout.write(['BYTES_BEHIND', 'OFFSET', 'LENGTH', 'STATE', 'ROWS', 'DEAD', 'BLOB'].join('\t') + '\n');
    for (const s of shown) {
      io.stdout.write([s.bytesBehind, s.offset, s.length, s.state, s.rows ?? '-', s.deadLettered ?? '-', s.blob].join('\t') + '\n');
    }
  }
  const behind = all.reduce((n, s) => n + s.bytesBehind, 0);
  const counts = { done: 0, tracked: 0, untracked: 0 };
  for (const s of all) counts[s.state]++;
  io.stderr.write(
    `pgaudit-ingest: ${all.length} blob(s): ${counts.tracked} tracked, ${counts.untracked} untracked, ${counts.done} done; ${behind} byte(s) behind${o.all ? '' : ' (done blobs hidden; --all shows them)'}\n`,
  );
  return 0;
}
