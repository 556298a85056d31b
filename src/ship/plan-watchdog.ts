// The watchdog of the fan-out planner (docs/design.md "Planning a fleet"): no server may silently
// fall off the schedule. Each shard planner writes a receipt naming the server documents it
// covered (`plans/<sweep>/<shard>.json`); the timer records each sweep (`plans/last-sweep.json`).
// At the next sweep the timer compares the receipts of the previous sweep with the documents that
// existed before it: a server no receipt names had no plan in the last interval (its shard message
// failed, was lost, or is still waiting behind a backlog). Each is reported (an error run record,
// ErrorCode ServerNotPlanned) and given a shipping message of its own, which plans it by listing.
import { z } from 'zod';
import { readBlobText } from '../state/read-text.js';
import type { StateStore } from '../state/state-store.js';
import type { ListedServerDoc } from './plan-shard.js';

export const SWEEP_RECORD = 'plans/last-sweep.json';

const sweepRecord = z.object({ version: z.literal(1), sweepId: z.string().min(1), at: z.string(), shards: z.number().int().nonnegative(), servers: z.number().int().nonnegative() });
export type SweepRecord = z.infer<typeof sweepRecord>;
const receipt = z.object({ version: z.literal(1), sweepId: z.string(), shard: z.number().int(), at: z.string(), covered: z.array(z.string()) });

export const receiptPrefix = (sweepId: string): string => `plans/${sweepId}/`;
export const receiptName = (sweepId: string, shard: number): string => `${receiptPrefix(sweepId)}${String(shard).padStart(6, '0')}.json`;

/** A shard planner's receipt: the server documents it covered. */
export async function writeReceipt(store: StateStore, sweepId: string, shard: number, covered: readonly string[], at = new Date()): Promise<void> {
  await store.writeJson(receiptName(sweepId, shard), { version: 1, sweepId, shard, at: at.toISOString(), covered: [...covered] } satisfies z.infer<typeof receipt>);
}

export async function writeSweepRecord(store: StateStore, record: Omit<SweepRecord, 'version'>): Promise<void> {
  await store.writeJson(SWEEP_RECORD, { version: 1, ...record } satisfies SweepRecord);
}

export interface WatchdogResult {
  /** The previous sweep, if one was recorded (and readable). */
  readonly previous: SweepRecord | null;
  /** Receipts found of the previous sweep's shards. */
  readonly receipts: number;
  /** Documents that existed before the previous sweep and that no receipt of it names. */
  readonly unplanned: ListedServerDoc[];
}

/**
 * Compares the previous sweep's receipts with the server documents listed now, then deletes the
 * receipts (they were read). A document created after the previous sweep began is not expected in
 * its receipts (nor one rewritten since, where a rewrite resets the creation time, as Azurite's
 * does: a rewrite is a shipped run, so the server was not forgotten).
 */
export async function checkPreviousSweep(store: StateStore, docs: readonly ListedServerDoc[]): Promise<WatchdogResult> {
  const text = await readBlobText(store.container.getBlobClient(SWEEP_RECORD));
  const parsed = text ? sweepRecord.safeParse(safeJson(text.text)) : null;
  if (!parsed?.success) return { previous: null, receipts: 0, unplanned: [] };
  const previous = parsed.data;
  const covered = new Set<string>();
  const names: string[] = [];
  for await (const item of store.container.listBlobsFlat({ prefix: receiptPrefix(previous.sweepId) })) names.push(item.name);
  for (const name of names) {
    const r = await readBlobText(store.container.getBlobClient(name));
    const data = r ? receipt.safeParse(safeJson(r.text)) : null;
    if (data?.success) for (const doc of data.data.covered) covered.add(doc);
  }
  // Creation times have a resolution of one second: a document of the same second is not expected.
  const since = Date.parse(previous.at) - 1_000;
  const unplanned = docs.filter((d) => d.createdOn !== null && Date.parse(d.createdOn) < since && !covered.has(d.name));
  await Promise.all(names.map((n) => store.deleteBlob(n).catch(() => undefined)));
  return { previous, receipts: names.length, unplanned };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
