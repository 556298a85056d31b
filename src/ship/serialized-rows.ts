// Rows serialised once, as text: run records, dead letters and replays (request-body.ts packs
// them into requests; rows read from a blob are encoded straight into request bytes there).
// (The SDK's upload() would serialise every row twice more: once to size its own chunks and
// once for the body — docs/performance.md.)
import { eventTimeNeeded } from '../pipeline/row-builder.js';

import { LOGS_INGESTION_LIMITS } from '../service-limits.js';

/** A row as JSON text, with the byte offset of its source line. */
export interface SerializedRow {
  readonly json: string;
  /** SourceOffset of the row (null for rows without one, such as run records). */
  readonly offset: number | null;
}

/** The service takes 1 MB per call (service-limits.ts); keep room for the brackets and a margin. */
export const MAX_REQUEST_BYTES = LOGS_INGESTION_LIMITS.callBytes.value - 1024;

export function serializeRow(row: object): SerializedRow {
  const json = JSON.stringify(row);
  const offset = (row as { SourceOffset?: unknown }).SourceOffset;
  return { json, offset: typeof offset === 'number' ? offset : null };
}

/**
 * A dead-lettered PgAudit_CL row sent again (replay), possibly days after it was made: EventTime
 * set when Log Analytics would now replace its TimeGenerated (eventTimeNeeded); else unchanged.
 */
export function withEventTime(row: SerializedRow, sendsAt: number): SerializedRow {
  const r = JSON.parse(row.json) as { TimeGenerated?: unknown; EventTime?: unknown };
  if ((r.EventTime !== null && r.EventTime !== undefined) || typeof r.TimeGenerated !== 'string' || !eventTimeNeeded(r.TimeGenerated, sendsAt)) return row;
  r.EventTime = r.TimeGenerated;
  return serializedLine(JSON.stringify(r), row.offset);
}

/** A dead-lettered or replayed line, sent again exactly as it was. */
export function serializedLine(json: string, offset: number | null): SerializedRow {
  return { json, offset };
}
