// The planning summary a server document carries in its blob metadata (docs/design.md "State
// layout"): the server path and, per checkpoint, the blob's hour, offset and creation time. The
// fan-out planner (src/ship/plan-shard.ts) gets every server document's metadata from one listing
// of up to 5,000 documents (`include=metadata`), so deciding that an idle server has nothing to do
// needs no read of its document. The metadata is written in the same upload as the document it
// summarises (ServerLease.save → StateStore.writeServer), so it never disagrees with it; a
// document without it (written by an earlier release, or too many checkpoints for the metadata's
// 8 KiB) is read instead, as before.
import { hourlyBlobName, parseBlobPath } from '../read/blob-path.js';
import type { BlobCheckpoint, ServerState } from './documents.js';

export const SERVER_METADATA_VERSION = '1';
/** Azure allows 8 KiB of metadata per blob (names and values); the checkpoints stay well inside. */
const MAX_CHECKPOINTS_CHARS = 6_000;

export type PlanCheckpoint = Pick<BlobCheckpoint, 'offset' | 'createdOn'>;

export interface ServerSummary {
  readonly serverPath: string;
  /** Blob name → what planning needs of its checkpoint. */
  readonly checkpoints: Readonly<Record<string, PlanCheckpoint>>;
}

const hourKey = (d: Date): string => d.toISOString().slice(0, 13).replace(/[-T]/g, ''); // YYYYMMDDHH

function hourOfKey(key: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})$/.exec(key);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]))) : null;
}

/**
 * The metadata of a server document: `pgauditplan` (version), `serverpath` (URI-encoded) and
 * `checkpoints` (`YYYYMMDDHH:offset:createdOn ms base 36,…`, `-` for none). Without `checkpoints`
 * when a checkpoint's blob is not its server's hourly blob or the list would be too long.
 */
export function serverMetadata(state: Pick<ServerState, 'serverPath' | 'blobs'>): Record<string, string> {
  const meta: Record<string, string> = { pgauditplan: SERVER_METADATA_VERSION, serverpath: encodeURIComponent(state.serverPath) };
  const parts: string[] = [];
  for (const [name, cp] of Object.entries(state.blobs)) {
    const hour = parseBlobPath(name).hourStart;
    if (!hour || hourlyBlobName(state.serverPath, hour) !== name) return meta;
    const created = cp.createdOn === null ? '' : Date.parse(cp.createdOn);
    if (created !== '' && (Number.isNaN(created) || new Date(created).toISOString() !== cp.createdOn)) return meta;
    parts.push(`${hourKey(hour)}:${cp.offset}:${created === '' ? '' : created.toString(36)}`);
  }
  const text = parts.length === 0 ? '-' : parts.join(',');
  if (text.length <= MAX_CHECKPOINTS_CHARS) meta.checkpoints = text;
  return meta;
}

/** The summary in a listed document's metadata, or null when it lacks one (read the document). */
export function summaryOfMetadata(meta: Readonly<Record<string, string>> | undefined): ServerSummary | null {
  if (!meta || meta.pgauditplan !== SERVER_METADATA_VERSION || meta.serverpath === undefined || meta.checkpoints === undefined) return null;
  let serverPath: string;
  try {
    serverPath = decodeURIComponent(meta.serverpath);
  } catch {
    return null;
  }
  const checkpoints: Record<string, PlanCheckpoint> = {};
  if (meta.checkpoints !== '-') {
    for (const part of meta.checkpoints.split(',')) {
      const [key, offset, created] = part.split(':');
      const hour = hourOfKey(key ?? '');
      const off = Number(offset);
      const ms = created ? parseInt(created, 36) : null;
      if (!hour || !Number.isSafeInteger(off) || off < 0 || (ms !== null && !Number.isSafeInteger(ms))) return null;
      checkpoints[hourlyBlobName(serverPath, hour)] = { offset: off, createdOn: ms === null ? null : new Date(ms).toISOString() };
    }
  }
  return { serverPath, checkpoints };
}
