// The one definition of the PgAuditIngest_CL columns: the run records that make completeness
// provable from the workspace (docs/design.md "Run records"). Like src/schema.ts for PgAudit_CL,
// the generated infra/generated/pgaudit-ingest-columns.json gives Bicep the table and the DCR
// stream, and the tests' Logs Ingestion endpoint enforces the same list.
import { streamType, type ColumnDef, type TableColumnType } from './schema.js';

export const RUN_TABLE_NAME = 'PgAuditIngest_CL';
export const RUN_STREAM_NAME = 'Custom-PgAuditIngest_CL';

/** blob: one shipped byte range; heartbeat: one per run, also when idle; error: a stop or a notice. */
export const RECORD_TYPES = ['blob', 'heartbeat', 'error'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];
export const TRIGGERS = ['sweep', 'blobCreated', 'queue', 'ship', 'backfill', 'replay'] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const RUN_COLUMNS = [
  { name: 'TimeGenerated', type: 'dateTime', description: 'When the record was written (the end of the range or of the run).' },
  { name: 'RecordType', type: 'string', description: 'blob (one shipped byte range), heartbeat (one per run, also when there was nothing to do) or error (a failure that stopped a server or the run, or a notice about lost state).' },
  { name: 'RunId', type: 'string', description: 'Id of the run that wrote the record (a GUID); all records of one run share it.' },
  { name: 'Trigger', type: 'string', description: 'What started the run: sweep, blobCreated, queue, ship, backfill or replay.' },
  { name: 'ServerName', type: 'string', description: 'Lower-case server name (the last segment of the blob path); null on a run-wide record.' },
  { name: 'ServerResourceId', type: 'string', description: 'Resource id of the server (from the blob path: resourceId=<this>/y=...); on blob records and errors about one server. The audit rows leave it out: ServerName joins them to it.' },
  { name: 'SourceBlob', type: 'string', description: 'Name of the diagnostic blob relative to its server (y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json), as the audit rows carry it; the container-relative name is resourceId=<ServerResourceId>/<SourceBlob> (blob records; errors about one blob).' },
  { name: 'StartOffset', type: 'long', description: 'First byte of the shipped range (blob records).' },
  { name: 'EndOffset', type: 'long', description: 'Byte after the shipped range: the new checkpoint (blob records).' },
  { name: 'BlobLength', type: 'long', description: 'Length of the blob when it was read (blob records).' },
  { name: 'BytesBehind', type: 'long', description: 'Bytes not yet shipped: of the blob (blob records) or of every blob the run checked (heartbeat).' },
  { name: 'RowsShipped', type: 'long', description: 'PgAudit_CL rows of the range the service accepted (replay: rows re-sent and accepted).' },
  { name: 'RowsDeadLettered', type: 'long', description: 'Rows of the range the service refused as invalid, kept in the dead-letter container.' },
  { name: 'RowsDropped', type: 'long', description: 'Log lines that are not PgAudit_CL rows (checkpoints, autovacuum, ...), counted, not shipped.' },
  { name: 'RowsFiltered', type: 'long', description: 'Rows left out by PGAUDIT_FILTERS rules (counted per rule in RowsFilteredByRule).' },
  { name: 'RowsFilteredByRule', type: 'dynamic', description: 'Filtered rows by rule ("Field=value").' },
  { name: 'RowsUnparsed', type: 'long', description: 'UNPARSED rows among the shipped ones (lines that could not be decoded).' },
  { name: 'RowsByEventType', type: 'dynamic', description: 'Shipped and dead-lettered rows by EventType.' },
  { name: 'LateBytes', type: 'long', description: 'Bytes appended to a blob after its hour had ended (late appends), shipped by this record.' },
  { name: 'ServersSeen', type: 'int', description: 'Servers the run looked at (heartbeat).' },
  { name: 'BlobsChecked', type: 'int', description: 'Diagnostic blobs the run compared with their checkpoints (heartbeat).' },
  { name: 'DurationMs', type: 'long', description: 'Time spent on the range (blob), on the run (heartbeat).' },
  { name: 'ErrorCode', type: 'string', description: 'Code of the failure or notice (error records), e.g. IngestionForbidden, StateDocumentInvalid.' },
  { name: 'ErrorMessage', type: 'string', description: 'What happened and what to do (redacted; error records).' },
  { name: 'AppVersion', type: 'string', description: 'pgaudit-ingest version that wrote the record.' },
  { name: 'Host', type: 'string', description: 'Host (instance) that ran: the machine name, or the Functions instance id.' },
] as const satisfies readonly ColumnDef[];

type RunColumns = (typeof RUN_COLUMNS)[number];
type TsType<T extends TableColumnType> = T extends 'string' | 'dateTime' ? string : T extends 'int' | 'long' ? number : T extends 'boolean' ? boolean : unknown;

/** One PgAuditIngest_CL row; every column present, absent values null. */
export type RunRecord = { [C in RunColumns as C['name']]: TsType<C['type']> | null };

export const RUN_COLUMN_NAMES: readonly (keyof RunRecord)[] = RUN_COLUMNS.map((c) => c.name);

export function emptyRunRecord(): RunRecord {
  return Object.fromEntries(RUN_COLUMN_NAMES.map((n) => [n, null])) as RunRecord;
}

/** The content of infra/generated/pgaudit-ingest-columns.json (the shape of pgaudit-columns.json). */
export function runSchemaJson(): { tableName: string; streamName: string; tableColumns: object[]; streamColumns: object[] } {
  return {
    tableName: RUN_TABLE_NAME,
    streamName: RUN_STREAM_NAME,
    tableColumns: RUN_COLUMNS.map((c) => ({ name: c.name, type: c.type, description: c.description })),
    streamColumns: RUN_COLUMNS.map((c) => ({ name: c.name, type: streamType(c.type) })),
  };
}
