// What the smoke test asks Log Analytics and how it reads the answers. Pure: the KQL texts, and
// one function from what the queries returned to "waiting", "arrived" or "failed". The queries
// name only columns of src/schema.ts and src/run-record-schema.ts (test/unit/smoke.test.ts checks
// them with Kusto.Language against both tables).
import { RUN_TABLE_NAME } from '../run-record-schema.js';
import { TABLE_NAME } from '../schema.js';
import { serverRelativeBlobName } from '../read/blob-path.js';
import type { Canary } from './canary.js';

/** A KQL string literal (the canary's names are [a-z0-9_-], but quote properly anyway). */
export const kqlString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Unique canary rows by EventType, and how many of them carry the marker (duplicates share a RecordId). */
export function rowsQuery(c: Canary): string {
  return [
    TABLE_NAME,
    `| where ServerName == ${kqlString(c.serverName)}`,
    `| extend Marked = Statement contains ${kqlString(c.marker)}`,
    // Exact: dcount() is an estimate; duplicates (same RecordId) count once.
    '| summarize by RecordId, EventType, Marked',
    '| summarize Rows = count() by EventType, Marked',
  ].join('\n');
}

/** The run records about the canary's server (blob records, and errors naming it). */
export function runRecordsQuery(c: Canary): string {
  return [
    RUN_TABLE_NAME,
    // SourceBlob is relative to the server (src/schema.ts): the server name says which server.
    `| where ServerName == ${kqlString(c.serverName)}`,
    '| project RecordType, SourceBlob, EndOffset, RowsShipped, RowsDeadLettered, RowsFiltered, ErrorCode, ErrorMessage',
  ].join('\n');
}

export interface RowCount {
  readonly eventType: string;
  readonly marked: boolean;
  readonly rows: number;
}

export interface RunRecordSeen {
  readonly recordType: string;
  readonly sourceBlob: string | null;
  readonly endOffset: number | null;
  readonly rowsShipped: number | null;
  readonly rowsDeadLettered: number | null;
  readonly rowsFiltered: number | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
}

export interface Observation {
  readonly rows: readonly RowCount[];
  readonly runRecords: readonly RunRecordSeen[];
}

export interface Assessment {
  readonly state: 'waiting' | 'arrived' | 'dead-lettered';
  /** Unique canary rows queryable in PgAudit_CL. */
  readonly rowsFound: number;
  /** Rows expected: what the canary makes, less rows a PGAUDIT_FILTERS rule left out (run records say). */
  readonly rowsExpected: number;
  readonly byEventType: Readonly<Record<string, number>>;
  /** AUDIT rows whose Statement carries the marker. */
  readonly markedAudit: number;
  /** A blob run record covering the whole canary blob is queryable in PgAuditIngest_CL. */
  readonly runRecordComplete: boolean;
  readonly rowsShipped: number;
  readonly rowsFiltered: number;
  readonly rowsDeadLettered: number;
  /** `code: message` of error run records about the canary. */
  readonly errors: readonly string[];
}

/** Reads one round of query answers against the canary (`length` bytes, `expected` rows by EventType). */
export function assess(o: Observation, canary: Pick<Canary, 'blobName'>, length: number, expected: Readonly<Record<string, number>>): Assessment {
  const byEventType: Record<string, number> = {};
  let markedAudit = 0;
  for (const r of o.rows) {
    byEventType[r.eventType] = (byEventType[r.eventType] ?? 0) + r.rows;
    if (r.marked && r.eventType === 'AUDIT') markedAudit += r.rows;
  }
  const rowsFound = Object.values(byEventType).reduce((a, b) => a + b, 0);
  const blobRecords = o.runRecords.filter((r) => r.recordType === 'blob' && r.sourceBlob === serverRelativeBlobName(canary.blobName));
  const sum = (f: (r: RunRecordSeen) => number | null): number => blobRecords.reduce((n, r) => n + (f(r) ?? 0), 0);
  const [rowsShipped, rowsFiltered, rowsDeadLettered] = [sum((r) => r.rowsShipped), sum((r) => r.rowsFiltered), sum((r) => r.rowsDeadLettered)];
  const runRecordComplete = blobRecords.some((r) => (r.endOffset ?? 0) >= length);
  const errors = o.runRecords.filter((r) => r.recordType === 'error').map((r) => `${r.errorCode ?? 'error'}: ${r.errorMessage ?? ''}`);
  const expectedAudit = expected.AUDIT ?? 0;
  const rowsExpected = Object.values(expected).reduce((a, b) => a + b, 0) - rowsFiltered;
  // Arrived: the whole blob was shipped (its run record), every row it shipped is queryable, and
  // every audit entry came through with its statement (a filter may leave out other rows).
  const arrived = runRecordComplete && rowsDeadLettered === 0 && rowsFound >= Math.max(rowsExpected, rowsShipped) && markedAudit >= Math.max(0, expectedAudit - rowsFiltered);
  const state = rowsDeadLettered > 0 ? 'dead-lettered' : arrived ? 'arrived' : 'waiting';
  return { state, rowsFound, rowsExpected, byEventType, markedAudit, runRecordComplete, rowsShipped, rowsFiltered, rowsDeadLettered, errors };
}

/** `CONNECT 1, AUDIT 3, DISCONNECT 1` (in the order of `expected`, then anything else). */
export function describeCounts(counts: Readonly<Record<string, number>>, expected: Readonly<Record<string, number>>): string {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(counts)])];
  return keys.map((k) => `${k} ${counts[k] ?? 0}`).join(', ');
}
