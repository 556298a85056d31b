// Which blobs a run looks at: a plan maps each server (its path, everything before `y=`) to
// blob names. The live plan of the timer sweep comes from the state; `ship` and `backfill`
// plan from a listing of the logs container.
import type { ContainerClient } from '@azure/storage-blob';
import { hourlyBlobName, parseBlobPath } from '../state/blob-path.js';
import type { StateDocumentError } from '../state/state-document-error.js';
import type { StateStore } from '../state/state-store.js';

export type SweepPlan = Map<string, Set<string>>; // serverPath → blob names

export function addToPlan(plan: SweepPlan, blobName: string): void {
  const { serverPath } = parseBlobPath(blobName);
  let set = plan.get(serverPath);
  if (!set) plan.set(serverPath, (set = new Set()));
  set.add(blobName);
}

/** Every blob under a prefix (CLI `ship`), optionally only hours in [from, to) (`backfill`). */
export async function planFromListing(source: ContainerClient, prefix: string, range?: { from: Date; to: Date }): Promise<SweepPlan> {
  const plan: SweepPlan = new Map();
  for await (const item of source.listBlobsFlat({ prefix: prefix || undefined })) {
    if (!item.name.endsWith('.json')) continue;
    const hour = parseBlobPath(item.name).hourStart;
    if (range && (!hour || hour < range.from || hour >= range.to)) continue;
    addToPlan(plan, item.name);
  }
  return plan;
}

/**
 * The live plan (timer sweep): for every server the state knows, its tracked open blobs, the
 * current hour's blob and, within the grace period, the previous hour's. Server documents that
 * cannot be read are returned as problems (those servers are not planned; the others are).
 */
export async function planLive(store: StateStore, now: Date, lookbackMs: number, extraServers: Iterable<string> = []): Promise<{ plan: SweepPlan; problems: StateDocumentError[] }> {
  const plan: SweepPlan = new Map();
  const servers = new Set<string>(extraServers);
  const { states, problems } = await store.listServers();
  for (const state of states) {
    servers.add(state.serverPath);
    for (const name of Object.keys(state.blobs)) addToPlan(plan, name);
  }
  for (const serverPath of servers) {
    addToPlan(plan, hourlyBlobName(serverPath, now));
    const previous = new Date(now.getTime() - 3_600_000);
    if (now.getTime() - Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours()) < lookbackMs) {
      addToPlan(plan, hourlyBlobName(serverPath, previous));
    }
  }
  return { plan, problems };
}
