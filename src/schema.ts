// The one definition of the PgAudit_CL columns. The TypeScript row type, the generated
// infra/generated/pgaudit-columns.json (read by Bicep for the table and the DCR stream), the KQL
// checks and the tests all derive from this list. Order matters: rows serialise in this order.

/** Log Analytics custom-table column types (the table API spells datetime `dateTime`). */
export type TableColumnType = 'string' | 'int' | 'long' | 'boolean' | 'dateTime' | 'dynamic';

export interface ColumnDef {
  readonly name: string;
  readonly type: TableColumnType;
  readonly description: string;
}

export const TABLE_NAME = 'PgAudit_CL';
export const STREAM_NAME = 'Custom-PgAudit_CL';

export const EVENT_TYPES = ['AUDIT', 'ERROR', 'AUTH_FAILURE', 'CONNECT', 'DISCONNECT', 'GAP', 'UNPARSED'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const COLUMNS = [
  { name: 'TimeGenerated', type: 'dateTime', description: 'Event time: properties.timestamp (ms), else the record time.' },
  { name: 'EventTime', type: 'dateTime', description: 'The event time, set only on rows whose TimeGenerated Log Analytics would replace with the time received (sent more than 36 h after the event or 12 h before it; the service replaces beyond 2 days and 1 day). Read the event time as coalesce(EventTime, TimeGenerated), as PgAudit() returns it.' },
  { name: 'EventType', type: 'string', description: 'AUDIT, ERROR, AUTH_FAILURE, CONNECT, DISCONNECT, GAP or UNPARSED.' },
  { name: 'ServerName', type: 'string', description: 'Lower-case server name: of the blob path (resourceId=/…/FLEXIBLESERVERS/<name>/), so every row of a blob has it (UNPARSED rows too); for a local file without that layout LogicalServerName, else the last segment of resourceId. With SourceBlob it names the blob.' },
  { name: 'Severity', type: 'string', description: 'PostgreSQL error level (LOG, ERROR, FATAL, ...).' },
  { name: 'SqlState', type: 'string', description: 'SQLSTATE of the log line (properties.sqlerrcode); null for 00000 (successful completion: every LOG line).' },
  { name: 'ProcessId', type: 'int', description: 'Backend process id (properties.processId, else %p).' },
  { name: 'SessionId', type: 'string', description: 'PostgreSQL session id (%c).' },
  { name: 'SessionLine', type: 'long', description: 'Per-session log line number (%l).' },
  { name: 'UserName', type: 'string', description: 'Database user, from the prefix or the session connection lines.' },
  { name: 'DatabaseName', type: 'string', description: 'Database, from the prefix or the session connection lines.' },
  { name: 'ApplicationName', type: 'string', description: 'application_name: from the prefix (%a), else the connection line followed by the session\'s audited SET/RESET/set_config.' },
  { name: 'ConnectApplicationName', type: 'string', description: 'application_name the session connected with (connection authorized line); compare with ApplicationName.' },
  { name: 'ClientHost', type: 'string', description: 'Client host or address, from the prefix or the session connection lines.' },
  { name: 'ClientPort', type: 'int', description: 'Client port, from %r or the connection received line.' },
  { name: 'AuditType', type: 'string', description: 'pgAudit audit type: SESSION or OBJECT.' },
  { name: 'StatementId', type: 'long', description: 'pgAudit statement id (restarts at 1 per session).' },
  { name: 'SubstatementId', type: 'long', description: 'pgAudit substatement id.' },
  { name: 'Class', type: 'string', description: 'pgAudit class: READ, WRITE, FUNCTION, ROLE, DDL or MISC.' },
  { name: 'Command', type: 'string', description: 'pgAudit command tag (SELECT, ALTER ROLE, ...).' },
  { name: 'ObjectType', type: 'string', description: 'pgAudit object type (TABLE, INDEX, ...).' },
  { name: 'ObjectName', type: 'string', description: 'pgAudit fully qualified object name.' },
  { name: 'Statement', type: 'string', description: 'Audited statement: redacted, <previously logged> resolved where known, capped.' },
  { name: 'StatementTruncated', type: 'boolean', description: 'True when the cap (or the row size limit) cut the statement; null otherwise.' },
  { name: 'StatementLength', type: 'int', description: 'Statement length in characters before the cut, on cut statements only (otherwise strlen(Statement)).' },
  { name: 'Parameter', type: 'string', description: 'pgAudit PARAMETER field after the outer CSV unquoting.' },
  { name: 'Parameters', type: 'dynamic', description: 'PARAMETER decoded into an array of strings (NULL -> null); null for <none>/<not logged>.' },
  { name: 'Rows', type: 'long', description: 'Rows affected/returned, when pgaudit.log_rows is on.' },
  { name: 'Message', type: 'string', description: 'Non-AUDIT rows: the message text after LEVEL (redacted, capped).' },
  { name: 'Detail', type: 'string', description: 'DETAIL of the log line (redacted).' },
  { name: 'Redacted', type: 'boolean', description: 'True when a secret was removed from this row; null otherwise.' },
  { name: 'TruncatedColumns', type: 'dynamic', description: 'Columns shortened so that the whole row fits the row size limit (every row fits one upload with margin); null when none was.' },
  { name: 'InvalidUtf8', type: 'boolean', description: 'True when the source line held bytes that are not UTF-8 (each invalid sequence became U+FFFD); null otherwise.' },
  { name: 'SourceBlob', type: 'string', description: 'Blob name relative to its server (y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json; ServerName names the server, the run records its resource id and container path); a name without that layout (a local file) as given.' },
  { name: 'SourceOffset', type: 'long', description: 'Byte offset of the record line in the blob.' },
  { name: 'RecordId', type: 'string', description: 'Stable id: 128 bits (22 base64url characters) of the SHA-256 of the blob\'s creation time, its full container-relative name, SourceOffset and the row\'s index in its line; use it to dedup.' },
] as const satisfies readonly ColumnDef[];

type Columns = (typeof COLUMNS)[number];
type TsType<T extends TableColumnType> = T extends 'string' | 'dateTime'
  ? string
  : T extends 'int' | 'long'
    ? number
    : T extends 'boolean'
      ? boolean
      : unknown;

/** One PgAudit_CL row; every column is present, absent values are null. */
export type PgAuditRow = { [C in Columns as C['name']]: TsType<C['type']> | null };
export type ColumnName = Columns['name'];

export const COLUMN_NAMES: readonly ColumnName[] = COLUMNS.map((c) => c.name);

/**
 * A row with every column null, keys in schema order (so NDJSON output is stable). Compiled to
 * an object literal once: a row is made per output row, and copying a template object
 * (`{ ...EMPTY }`) is measurably slower (docs/performance.md). Column names are plain identifiers.
 */
export const emptyRow = compileEmptyRow(COLUMN_NAMES);

function compileEmptyRow(names: readonly string[]): () => PgAuditRow {
  for (const n of names) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) throw new Error(`column name ${JSON.stringify(n)} is not an identifier`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- built from the constant column list above
  return new Function(`return { ${names.map((n) => `${n}: null`).join(', ')} };`) as () => PgAuditRow;
}

/** DCR stream declarations spell the datetime type in lower case. */
export function streamType(type: TableColumnType): string {
  return type === 'dateTime' ? 'datetime' : type;
}

/** The content of infra/generated/pgaudit-columns.json, read by Bicep with loadJsonContent. */
export function schemaJson(): { tableName: string; streamName: string; tableColumns: object[]; streamColumns: object[] } {
  return {
    tableName: TABLE_NAME,
    streamName: STREAM_NAME,
    tableColumns: COLUMNS.map((c) => ({ name: c.name, type: c.type, description: c.description })),
    streamColumns: COLUMNS.map((c) => ({ name: c.name, type: streamType(c.type) })),
  };
}
