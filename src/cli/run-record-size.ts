// The billed size of the run records one shipped range brings to PgAuditIngest_CL (a `blob` record
// and, at most, one `heartbeat`: a queue message ships one server's blobs in one run), from
// representative values (a Functions instance id as Host, a GUID RunId). Pure.
import { RUN_COLUMNS, emptyRunRecord, type RunRecord } from '../run-record-schema.js';
import { billedRecordBytes } from './billed-size.js';

const SAMPLE = {
  TimeGenerated: '2026-12-08T01:05:00.000Z',
  RunId: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  Trigger: 'queue',
  ServerName: 'contoso-pg-prod-01',
  ServerResourceId: '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/CONTOSO-PROD/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/CONTOSO-PG-PROD-01',
  AppVersion: '0.1.0',
  Host: 'a'.repeat(64),
  DurationMs: 1234,
};

function record(fields: Partial<Record<string, unknown>>): RunRecord {
  const r = emptyRunRecord() as Record<string, unknown>;
  for (const [k, v] of Object.entries(fields)) if (k in r) r[k] = v;
  return r as RunRecord;
}

let cached: number | null = null;

/** Billed bytes of one range's run records: its blob record and a heartbeat. */
export function representativeRunRecordBytes(): number {
  if (cached !== null) return cached;
  const blob = record({
    ...SAMPLE,
    RecordType: 'blob',
    SourceBlob: 'y=2026/m=12/d=08/h=00/m=00/PT1H.json',
    StartOffset: 1048576,
    EndOffset: 2097152,
    BlobLength: 2097152,
    BytesBehind: 0,
    RowsShipped: 2500,
    RowsDeadLettered: 0,
    RowsDropped: 120,
    RowsFiltered: 0,
    RowsFilteredByRule: {},
    RowsUnparsed: 0,
    RowsByEventType: { AUDIT: 2300, ERROR: 40, AUTH_FAILURE: 10, CONNECT: 75, DISCONNECT: 75 },
    LateBytes: 0,
  });
  const heartbeat = record({ ...SAMPLE, RecordType: 'heartbeat', ServerResourceId: null, ServersSeen: 1, BlobsChecked: 3, BytesBehind: 0, RowsShipped: 2500, RowsDeadLettered: 0, RowsDropped: 120, RowsFiltered: 0, RowsFilteredByRule: {}, RowsUnparsed: 0, RowsByEventType: { AUDIT: 2300, ERROR: 40, AUTH_FAILURE: 10, CONNECT: 75, DISCONNECT: 75 }, LateBytes: 0 });
  cached = billedRecordBytes(blob, RUN_COLUMNS) + billedRecordBytes(heartbeat, RUN_COLUMNS);
  return cached;
}
