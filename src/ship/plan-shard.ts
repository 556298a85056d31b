// The fan-out planner (docs/design.md "Planning a fleet"). The timer lists the server documents
// (names only, pages of `size`) and puts one planning message per page — a shard — on the server
// queue; a shardPlanner invocation plans just its shard and puts one shipping message per server
// with work, naming the blobs. No invocation touches every server, and planning scales out with
// the queue like shipping does.
//
// Planning one server costs, when nothing changed, one listing: the day prefix(es) of the last
// RECENT_MS (the current day, and the previous one in the first hours of a day), compared with the
// checkpoints carried in the server document's metadata (src/state/server-metadata.ts), which the
// shard's one listing of up to 5,000 documents returned. The older days of the lookback are listed
// once an hour per server (at an instant spread by a hash of the server, so the fleet's older-day
// listings do not all fall into one sweep): late growth in a blob more than RECENT_MS old is found
// within OLDER_DAYS_EVERY_MS plus a sweep interval. Every decision is the one plan.ts makes
// (blobWork), so a blob is shipped when new, grown, replaced, or closed past the lookback.
import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { parseBlobPath } from '../read/blob-path.js';
import { readServerState } from '../state/documents.js';
import { readBlobText } from '../state/read-text.js';
import { serverMetadata, summaryOfMetadata, type PlanCheckpoint, type ServerSummary } from '../state/server-metadata.js';
import { StateDocumentError } from '../errors/state-document-error.js';
import { StateStore } from '../state/state-store.js';
import { addToPlan, blobWork, dayPrefixes, pastLookback, type ListedPlan, type PlannedBlob, type PlanStats, type ShippingPlan } from './plan.js';

const HOUR_MS = 3_600_000;
/** Day prefixes holding the last RECENT_MS + 1 h are listed at every sweep. */
export const RECENT_MS = 2 * HOUR_MS;
/** The other days of the lookback are listed once per this period per server. */
export const OLDER_DAYS_EVERY_MS = HOUR_MS;
/** Server documents per planning shard (one listing page; the listing's maximum is 5,000). */
export const PLAN_SHARD_SIZE = 500;
/** Servers of one shard listed at once. */
export const PLAN_PARALLEL = 16;

/** What planning did, besides the heartbeat's numbers: each is a storage transaction. */
export interface FleetPlanStats extends PlanStats {
  /** Server documents read (their metadata lacked a summary). */
  docReads: number;
  /** Summaries added to documents written before they carried one. */
  metadataWrites: number;
  /** Servers whose older days were listed in this plan. */
  olderListed: number;
}

export function emptyFleetStats(): FleetPlanStats {
  return { serversSeen: 0, blobsChecked: 0, bytesBehind: 0, listCalls: 0, docReads: 0, metadataWrites: 0, olderListed: 0 };
}

/** One shard: the documents from `token` (where the timer's listing page began) up to `until`. */
export interface Shard {
  readonly index: number;
  /** The listing's continuation token that starts the page; null for the first page. */
  readonly token: string | null;
  /** The first document of the next shard (exclusive end); null for the last shard. */
  readonly until: string | null;
}

/** A server document as the timer's listing shows it. */
export interface ListedServerDoc {
  readonly name: string;
  readonly createdOn: string | null;
  /** From the metadata; null for a document without a summary. */
  readonly serverPath: string | null;
}

/** The timer's listing of server documents, cut into shards of `size` (one listing call each). */
export async function listShards(store: StateStore, size = PLAN_SHARD_SIZE): Promise<{ shards: Shard[]; docs: ListedServerDoc[]; listCalls: number }> {
  const pages: { token: string | null; first: string }[] = [];
  const docs: ListedServerDoc[] = [];
  let token: string | null = null;
  let listCalls = 0;
  for await (const page of store.container.listBlobsFlat({ prefix: 'servers/', includeMetadata: true }).byPage({ maxPageSize: size })) {
    listCalls++;
    const items = page.segment.blobItems;
    if (items.length > 0) pages.push({ token, first: items[0]!.name });
    for (const item of items) docs.push({ name: item.name, createdOn: item.properties.createdOn?.toISOString() ?? null, serverPath: summaryOfMetadata(item.metadata)?.serverPath ?? null });
    token = page.continuationToken || null;
  }
  return { shards: pages.map((p, index) => ({ index, token: p.token, until: pages[index + 1]?.first ?? null })), docs, listCalls };
}

/** The instant within each period at which a server's older days are due (a stable hash). */
function phaseOf(serverPath: string): number {
  return createHash('sha256').update(serverPath).digest().readUInt32BE(0) % OLDER_DAYS_EVERY_MS;
}

/**
 * Whether the older days of a server's lookback are listed now: when its due instant falls in
 * (previousPlanAt, now], or nothing is known of the last plan (a new timer instance).
 */
export function olderDaysDue(serverPath: string, now: Date, previousPlanAt: Date | null): boolean {
  if (!previousPlanAt || now.getTime() - previousPlanAt.getTime() >= OLDER_DAYS_EVERY_MS) return true;
  const phase = phaseOf(serverPath);
  return Math.floor((now.getTime() - phase) / OLDER_DAYS_EVERY_MS) > Math.floor((previousPlanAt.getTime() - phase) / OLDER_DAYS_EVERY_MS);
}

/** The day prefixes to list now: the recent ones always, the whole lookback when `all`. */
export function prefixesToList(serverPath: string, now: Date, lookbackMs: number, all: boolean): string[] {
  return all ? dayPrefixes(serverPath, now, lookbackMs) : dayPrefixes(serverPath, now, Math.min(lookbackMs, RECENT_MS));
}

type ListedBlob = PlannedBlob & { length: number };

async function listPrefixes(source: ContainerClient, prefixes: readonly string[], oldest: number, stats: FleetPlanStats): Promise<ListedBlob[]> {
  const listed: ListedBlob[] = [];
  for (const prefix of prefixes) {
    for await (const page of source.listBlobsFlat({ prefix }).byPage({ maxPageSize: 5000 })) {
      stats.listCalls++;
      for (const item of page.segment.blobItems) {
        const hour = parseBlobPath(item.name).hourStart;
        if (!item.name.endsWith('.json') || hour === null || hour.getTime() < oldest) continue;
        listed.push({ name: item.name, length: item.properties.contentLength ?? 0, createdOn: item.properties.createdOn?.toISOString() ?? null, lastModified: item.properties.lastModified?.toISOString() ?? null });
      }
    }
  }
  return listed;
}

export interface PlanServerOptions {
  readonly now: Date;
  readonly lookbackMs: number;
  readonly previousPlanAt: Date | null;
}

/**
 * Plans one server from its summary: lists the due day prefixes, adds each listed blob that needs
 * work, each checkpoint of a listed day the listing lacks (deleted), and each checkpoint past the
 * lookback (closed: the run reads the blob's length first, so late growth is still shipped).
 */
export async function planSummarised(source: ContainerClient, summary: ServerSummary, o: PlanServerOptions, plan: ShippingPlan, stats: FleetPlanStats): Promise<void> {
  const all = olderDaysDue(summary.serverPath, o.now, o.previousPlanAt);
  if (all) stats.olderListed++;
  const prefixes = prefixesToList(summary.serverPath, o.now, o.lookbackMs, all);
  const listed = await listPrefixes(source, prefixes, o.now.getTime() - o.lookbackMs - HOUR_MS, stats);
  stats.serversSeen++;
  const seen = new Set<string>();
  for (const blob of listed) {
    seen.add(blob.name);
    stats.blobsChecked++;
    const cp: PlanCheckpoint | undefined = summary.checkpoints[blob.name];
    stats.bytesBehind += Math.max(0, blob.length - (cp?.offset ?? 0));
    if (blobWork(blob, cp, undefined, o.now, o.lookbackMs) !== 'skip') addToPlan(plan, blob);
  }
  for (const name of Object.keys(summary.checkpoints)) {
    if (seen.has(name)) continue;
    if (prefixes.some((p) => name.startsWith(p)) || pastLookback(name, o.now, o.lookbackMs)) addToPlan(plan, name);
  }
}

export interface ShardPlan extends ListedPlan {
  readonly stats: FleetPlanStats;
  /** The server documents this shard covered (the watchdog's receipt). */
  readonly covered: string[];
}

export interface ShardOptions extends PlanServerOptions {
  readonly size?: number;
  readonly parallel?: number;
}

/** Plans the servers of one shard (a planning message). */
export async function planShard(source: ContainerClient, store: StateStore, shard: Pick<Shard, 'token' | 'until'>, o: ShardOptions): Promise<ShardPlan> {
  const plan: ShippingPlan = new Map();
  const stats = emptyFleetStats();
  const problems: StateDocumentError[] = [];
  const covered: string[] = [];
  const pending: { name: string; etag: string | undefined; summary: ServerSummary | null }[] = [];
  listing: for await (const page of store.container.listBlobsFlat({ prefix: 'servers/', includeMetadata: true }).byPage({ maxPageSize: o.size ?? PLAN_SHARD_SIZE, continuationToken: shard.token ?? undefined })) {
    stats.listCalls++;
    for (const item of page.segment.blobItems) {
      if (shard.until !== null && item.name >= shard.until) break listing;
      pending.push({ name: item.name, etag: item.properties.etag, summary: summaryOfMetadata(item.metadata) });
    }
  }
  const planOne = async (doc: (typeof pending)[number]): Promise<void> => {
    covered.push(doc.name);
    let summary = doc.summary;
    if (!summary) {
      const read = await readSummary(store, doc.name, doc.etag, stats);
      if (read instanceof StateDocumentError) return void problems.push(read);
      if (!read) return; // deleted since the listing
      summary = read;
    }
    await planSummarised(source, summary, o, plan, stats);
  };
  const worker = async (): Promise<void> => {
    for (let doc = pending.shift(); doc; doc = pending.shift()) await planOne(doc);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallel ?? PLAN_PARALLEL, pending.length)) }, worker));
  return { plan, stats, problems, covered };
}

/**
 * A document without a summary in its metadata: read it, and add the summary (only if the document
 * is still the one read and not leased: a worker's write carries its own), so it is read once.
 */
async function readSummary(store: StateStore, name: string, etag: string | undefined, stats: FleetPlanStats): Promise<ServerSummary | StateDocumentError | null> {
  stats.docReads++;
  const doc = await readBlobText(store.container.getBlobClient(name));
  if (!doc) return null;
  try {
    const state = readServerState(name, doc.text);
    if (etag) {
      await store.container
        .getBlobClient(name)
        .setMetadata(serverMetadata(state), { conditions: { ifMatch: etag } })
        .then(() => void stats.metadataWrites++)
        .catch(() => undefined); // changed or leased meanwhile: its writer adds the summary
    }
    return { serverPath: state.serverPath, checkpoints: state.blobs };
  } catch (err) {
    if (err instanceof StateDocumentError) return err;
    throw err;
  }
}

/** Servers discovered without a state document (a planning message naming them). */
export async function planNewServers(source: ContainerClient, servers: readonly string[], o: ShardOptions): Promise<ShardPlan> {
  const plan: ShippingPlan = new Map();
  const stats = emptyFleetStats();
  const pending = [...servers];
  const worker = async (): Promise<void> => {
    for (let s = pending.shift(); s; s = pending.shift()) await planNewServer(source, s, o, plan, stats);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.parallel ?? PLAN_PARALLEL, servers.length)) }, worker));
  return { plan, stats, problems: [], covered: [] };
}

/** Discovered servers per planning message (a message holds 64 KiB; a server path ~150 bytes, base64). */
export const NEW_SERVERS_PER_MESSAGE = 100;

/** A server with no state document yet (found by discovery): its whole lookback, no checkpoints. */
export async function planNewServer(source: ContainerClient, serverPath: string, o: Omit<PlanServerOptions, 'previousPlanAt'>, plan: ShippingPlan, stats: FleetPlanStats): Promise<void> {
  await planSummarised(source, { serverPath, checkpoints: {} }, { ...o, previousPlanAt: null }, plan, stats);
}

/**
 * Every shard planned in this process, one after the other (the CLI-free test path and the bench:
 * what the timer and its shard planners do together), plus discovered servers without a document.
 */
export async function planFleet(source: ContainerClient, store: StateStore, o: ShardOptions & { extraServers?: Iterable<string> }): Promise<ShardPlan> {
  const { shards, docs, listCalls } = await listShards(store, o.size);
  const plan: ShippingPlan = new Map();
  const stats = emptyFleetStats();
  stats.listCalls += listCalls;
  const problems: StateDocumentError[] = [];
  const covered: string[] = [];
  for (const shard of shards) {
    const part = await planShard(source, store, shard, o);
    for (const [server, blobs] of part.plan) plan.set(server, blobs);
    for (const k of Object.keys(stats) as (keyof FleetPlanStats)[]) stats[k] += part.stats[k];
    problems.push(...part.problems);
    covered.push(...part.covered);
  }
  const known = new Set(docs.map((d) => d.name));
  for (const serverPath of o.extraServers ?? []) if (!known.has(StateStore.serverDocName(serverPath))) await planNewServer(source, serverPath, o, plan, stats);
  return { plan, stats, problems, covered };
}
