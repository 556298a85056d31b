// More than one DCR (docs/design.md "More than one DCR"): the Logs Ingestion API limits each DCR
// (src/service-limits.ts: 2 GB and 12,000 requests per minute), so a fleet past one DCR's limit is
// spread over N DCRs writing the same tables. Shard 0 is PGAUDIT_INGESTION_ENDPOINT +
// PGAUDIT_DCR_IMMUTABLE_ID; PGAUDIT_DCR_SHARDS lists the others. A server ships through one DCR,
// chosen by a stable hash of its path, so its rows and its run records go the same way and every
// server's share of the load is fixed. Rows and run records land in the same tables whichever DCR
// carried them, so PgAudit() (dedup by RecordId) and the completeness proof need no change; a
// change of N moves servers between DCRs, never a row between tables.
import { createHash } from 'node:crypto';
import type { DcrShardTarget, SettingValues } from '../config/settings-model.js';

/** Every DCR, shard 0 first. */
export function dcrTargetsOf(s: Pick<SettingValues, 'ingestionEndpoint' | 'dcrImmutableId' | 'dcrShards'>): DcrShardTarget[] {
  return [{ endpoint: s.ingestionEndpoint, immutableId: s.dcrImmutableId }, ...s.dcrShards];
}

/** The DCR shard of a server: a stable hash of its path (upper-case, as Azure names the blobs). */
export function dcrShardOf(serverPath: string, shards: number): number {
  if (shards <= 1) return 0;
  return createHash('sha256').update(serverPath.toUpperCase()).digest().readUInt32BE(0) % shards;
}
