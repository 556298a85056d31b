// Which blobs a run ships (docs/design.md "Delivery"). A blob is never final: every run compares
// the listing of the last PGAUDIT_LOOKBACK_HOURS hours of each server (one listing per server
// and day prefix) with the checkpoints, and plans only blobs that grew, are new, were replaced,
// or left the lookback (to be closed). A blob whose length is unchanged is never downloaded.
import type { ContainerClient } from '@azure/storage-blob';
import { hourlyBlobName, parseBlobPath } from '../read/blob-path.js';
import type { BlobCheckpoint } from '../state/documents.js';
import { readServerState } from '../state/documents.js';
import { readBlobText } from '../state/read-text.js';
import { StateDocumentError } from '../errors/state-document-error.js';
import { StateStore, type ListedMarker } from '../state/state-store.js';

/** A blob as the listing showed it; length null when only its name is known (an event). */
export interface PlannedBlob {
  readonly name: string;
  readonly length: number | null;
  readonly createdOn: string | null;
  readonly lastModified: string | null;
}

export type ShippingPlan = Map<string, Map<string, PlannedBlob>>; // serverPath → blob name → blob

/** What planning saw: the heartbeat's numbers and the planning calls made. */
export interface PlanStats {
  serversSeen: number;
  blobsChecked: number;
  bytesBehind: number;
  listCalls: number;
}

export interface Plan {
  readonly plan: ShippingPlan;
  /** Null for a plan of named blobs (an event): nothing was listed. */
  readonly stats: PlanStats | null;
  /** Server documents that could not be read (those servers are not planned). */
  readonly problems: StateDocumentError[];
}

/** A plan of named blobs (an Event Grid event names one): their lengths are read when shipped. */
export function planOf(...names: string[]): Plan {
  const plan: ShippingPlan = new Map();
  for (const name of names) addToPlan(plan, name);
  return { plan, stats: null, problems: [] };
}

export function addToPlan(plan: ShippingPlan, blob: string | PlannedBlob): void {
  const b = typeof blob === 'string' ? { name: blob, length: null, createdOn: null, lastModified: null } : blob;
  const { serverPath } = parseBlobPath(b.name);
  let blobs = plan.get(serverPath);
  if (!blobs) plan.set(serverPath, (blobs = new Map<string, PlannedBlob>()));
  blobs.set(b.name, b);
}

/** A plan made from listings: its numbers are known. */
export type ListedPlan = Plan & { readonly stats: PlanStats };

export type BlobWork = 'ship' | 'close' | 'skip';

/** Whether a blob's hour plus the lookback has passed: it may be closed (marked done). */
export function pastLookback(name: string, now: Date, lookbackMs: number): boolean {
  const hour = parseBlobPath(name).hourStart;
  return hour !== null && now.getTime() >= hour.getTime() + 3_600_000 + lookbackMs;
}

/**
 * The decision for one listed blob (pure): ship it when it is new, replaced, or longer than what
 * was shipped; close it when it left the lookback with nothing new; else skip it.
 */
export function blobWork(listed: PlannedBlob & { length: number }, cp: Pick<BlobCheckpoint, 'offset' | 'createdOn'> | undefined, marker: Pick<ListedMarker, 'offset' | 'createdOn' | 'state'> | undefined, now: Date, lookbackMs: number): BlobWork {
  const known = cp ?? marker;
  if (!known || (marker && !cp && marker.state !== 'done')) return 'ship';
  if (replaced(known, listed)) return 'ship';
  if (listed.length > known.offset) return 'ship';
  return cp && pastLookback(listed.name, now, lookbackMs) ? 'close' : 'skip';
}

/**
 * Whether a blob is not the one recorded: another creation time (a second's resolution), or
 * shorter than what was shipped from it (append blobs only grow).
 */
export function replaced(known: { readonly offset: number; readonly createdOn: string | null }, current: { readonly length: number; readonly createdOn: string | null }): boolean {
  return (known.createdOn !== null && current.createdOn !== null && known.createdOn !== current.createdOn) || current.length < known.offset;
}

const DAY_MS = 86_400_000;

/** The day prefixes (`<server>y=YYYY/m=MM/d=DD/`) whose hours reach into the lookback window. */
export function dayPrefixes(serverPath: string, now: Date, lookbackMs: number): string[] {
  const first = now.getTime() - lookbackMs - 3_600_000;
  const prefixes: string[] = [];
  for (let t = Date.UTC(new Date(first).getUTCFullYear(), new Date(first).getUTCMonth(), new Date(first).getUTCDate()); t <= now.getTime(); t += DAY_MS) {
    prefixes.push(hourlyBlobName(serverPath, new Date(t)).replace(/h=\d{2}\/m=00\/PT1H\.json$/, ''));
  }
  return prefixes;
}

function listedBlob(item: { name: string; properties: { contentLength?: number; createdOn?: Date; lastModified?: Date } }): PlannedBlob & { length: number } {
  return { name: item.name, length: item.properties.contentLength ?? 0, createdOn: item.properties.createdOn?.toISOString() ?? null, lastModified: item.properties.lastModified?.toISOString() ?? null };
}

/**
 * Adds the listed blobs that need work to the plan, and every checkpoint the listing lacks (the
 * run then finds it gone or, past the lookback, closes it).
 */
function planServer(plan: ShippingPlan, stats: PlanStats, listed: readonly (PlannedBlob & { length: number })[], checkpoints: Readonly<Record<string, BlobCheckpoint>>, markers: ReadonlyMap<string, ListedMarker>, now: Date, lookbackMs: number): void {
  stats.serversSeen++;
  const seen = new Set<string>();
  for (const blob of listed) {
    seen.add(blob.name);
    stats.blobsChecked++;
    const cp = checkpoints[blob.name];
    const marker = markers.get(blob.name);
    stats.bytesBehind += Math.max(0, blob.length - (cp?.offset ?? (marker?.state === 'done' ? marker.offset : 0)));
    if (blobWork(blob, cp, marker, now, lookbackMs) !== 'skip') addToPlan(plan, blob);
  }
  for (const name of Object.keys(checkpoints)) if (!seen.has(name)) addToPlan(plan, name);
}

/**
 * The live plan (timer sweep, queue planner): every server the state knows (and `extraServers`,
 * found by discovery), each listed over the lookback by day prefix.
 */
export async function planLookback(source: ContainerClient, store: StateStore, now: Date, lookbackMs: number, extraServers: Iterable<string> = []): Promise<ListedPlan> {
  const plan: ShippingPlan = new Map();
  const stats: PlanStats = { serversSeen: 0, blobsChecked: 0, bytesBehind: 0, listCalls: 1 };
  const { states, problems } = await store.listServers();
  const bad = new Set(problems.map((p) => p.blob));
  const byServer = new Map(states.map((s) => [s.serverPath, s.blobs]));
  // A discovered server whose document is bad stays out: its problem is reported instead.
  for (const serverPath of extraServers) if (!byServer.has(serverPath) && !bad.has(StateStore.serverDocName(serverPath))) byServer.set(serverPath, {});
  for (const [serverPath, checkpoints] of byServer) planServer(plan, stats, await listLookback(source, serverPath, now, lookbackMs, stats), checkpoints, new Map(), now, lookbackMs);
  return { plan, stats, problems };
}

/** The blobs of one server's lookback window, one listing per day prefix. */
async function listLookback(source: ContainerClient, serverPath: string, now: Date, lookbackMs: number, stats: PlanStats): Promise<(PlannedBlob & { length: number })[]> {
  const oldest = now.getTime() - lookbackMs - 3_600_000;
  const listed: (PlannedBlob & { length: number })[] = [];
  for (const prefix of dayPrefixes(serverPath, now, lookbackMs)) {
    stats.listCalls++;
    for await (const item of source.listBlobsFlat({ prefix })) {
      const hour = parseBlobPath(item.name).hourStart;
      if (item.name.endsWith('.json') && hour !== null && hour.getTime() >= oldest) listed.push(listedBlob(item));
    }
  }
  return listed;
}

/**
 * The lookback plan of one server (a queue message): its own document and day prefixes only, so
 * a worker's planning cost does not grow with the fleet. Decided exactly as planLookback decides.
 */
export async function planServerLookback(source: ContainerClient, store: StateStore, serverPath: string, now: Date, lookbackMs: number): Promise<ListedPlan> {
  const plan: ShippingPlan = new Map();
  const stats: PlanStats = { serversSeen: 0, blobsChecked: 0, bytesBehind: 0, listCalls: 0 };
  const name = StateStore.serverDocName(serverPath);
  const doc = await readBlobText(store.container.getBlobClient(name));
  let checkpoints: Readonly<Record<string, BlobCheckpoint>> = {};
  try {
    if (doc) checkpoints = readServerState(name, doc.text).blobs;
  } catch (err) {
    if (!(err instanceof StateDocumentError)) throw err;
    return { plan, stats, problems: [err] };
  }
  planServer(plan, stats, await listLookback(source, serverPath, now, lookbackMs, stats), checkpoints, new Map(), now, lookbackMs);
  return { plan, stats, problems: [] };
}

/**
 * Every blob under a prefix (CLI `ship`), optionally only hours in [from, to) (`backfill`),
 * compared with the checkpoints and markers (one listing each), so unchanged blobs are skipped.
 */
export async function planFromListing(source: ContainerClient, store: StateStore, prefix: string, now: Date, lookbackMs: number, range?: { from: Date; to: Date }): Promise<ListedPlan> {
  const plan: ShippingPlan = new Map();
  const stats: PlanStats = { serversSeen: 0, blobsChecked: 0, bytesBehind: 0, listCalls: 3 };
  const byServer = new Map<string, (PlannedBlob & { length: number })[]>();
  for await (const item of source.listBlobsFlat({ prefix: prefix || undefined })) {
    if (!item.name.endsWith('.json')) continue;
    const { serverPath, hourStart } = parseBlobPath(item.name);
    if (range && (!hourStart || hourStart < range.from || hourStart >= range.to)) continue;
    const list = byServer.get(serverPath) ?? [];
    list.push(listedBlob(item));
    byServer.set(serverPath, list);
  }
  const { states, problems } = await store.listServers();
  const checkpoints = new Map(states.map((s) => [s.serverPath, s.blobs]));
  const markers = new Map<string, ListedMarker>();
  for await (const m of store.listMarkers(prefix)) markers.set(m.blob, m);
  for (const [serverPath, listed] of byServer) {
    // Only the checkpoints this listing could have shown (the prefix, the range).
    const known = Object.fromEntries(Object.entries(checkpoints.get(serverPath) ?? {}).filter(([name]) => name.startsWith(prefix) && (!range || inRange(name, range))));
    planServer(plan, stats, listed, known, markers, now, lookbackMs);
  }
  return { plan, stats, problems };
}

function inRange(name: string, range: { from: Date; to: Date }): boolean {
  const hour = parseBlobPath(name).hourStart;
  return hour !== null && hour >= range.from && hour < range.to;
}
