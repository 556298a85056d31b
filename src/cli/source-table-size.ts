// What the same diagnostic records would cost in Azure's own tables, computed from the source
// records (their documented columns) by the rule of billed-size.ts, so that `parse --summary json`
// can show our rows side by side with what a diagnostic setting sending PostgreSQLLogs to the
// workspace would bill. Pure.
//
// - PGSQLServerLogs (resource-specific; Microsoft's recommended destination): TenantId,
//   TimeGenerated, Message, ErrorLevel, ProcessId, SqlerrCode, BackendType, LogicalServerName,
//   Location, Detail, Context, Hint (MicrosoftDocs/azure-monitor-docs
//   articles/azure-monitor/reference/tables/pgsqlserverlogs.md; the column list is in its include;
//   Azure ships no HINT, /work/shared/FACTS.md). _ResourceId and Type are not billed.
// - AzureDiagnostics (legacy): the fields MicrosoftDocs/azure-docs
//   articles/postgresql/flexible-server/concepts-logging.md lists for PostgreSQLLogs: TenantId,
//   SourceSystem, TimeGenerated, SubscriptionId, ResourceGroup, ResourceProvider, ResourceType,
//   ResourceId, Resource, Category, OperationName, errorLevel, Message, Domain, Detail, ColumnName,
//   SchemaName, DatatypeName, LogicalServerName, Prefix. Only those: the record's other fields
//   (processId, sqlerrcode, backend_type, timestamp, ...) that AzureDiagnostics also stores as
//   `*_s`/`*_d` columns are left out, so this is a lower bound of AzureDiagnostics.
import { billedRecordBytes, type BilledColumn } from './billed-size.js';

export const SOURCE_TABLES = ['PGSQLServerLogs', 'AzureDiagnostics'] as const;
export type SourceTable = (typeof SOURCE_TABLES)[number];

export const SOURCE_TABLE_DOCS: Record<SourceTable, string> = {
  PGSQLServerLogs: 'MicrosoftDocs/azure-monitor-docs articles/azure-monitor/reference/tables/pgsqlserverlogs.md',
  AzureDiagnostics: 'MicrosoftDocs/azure-docs articles/postgresql/flexible-server/concepts-logging.md (Log format); documented fields only, a lower bound',
};

const PGSQL_COLUMNS: readonly BilledColumn[] = [
  { name: 'TimeGenerated', type: 'dateTime' },
  { name: 'Message', type: 'string' },
  { name: 'ErrorLevel', type: 'string' },
  { name: 'ProcessId', type: 'int' },
  { name: 'SqlerrCode', type: 'string' },
  { name: 'BackendType', type: 'string' },
  { name: 'LogicalServerName', type: 'string' },
  { name: 'Location', type: 'string' },
  { name: 'Detail', type: 'string' },
  { name: 'Context', type: 'string' },
];

const AZURE_DIAGNOSTICS_COLUMNS: readonly BilledColumn[] = [
  { name: 'SourceSystem', type: 'string' },
  { name: 'TimeGenerated', type: 'dateTime' },
  { name: 'SubscriptionId', type: 'string' },
  { name: 'ResourceGroup', type: 'string' },
  { name: 'ResourceProvider', type: 'string' },
  { name: 'ResourceType', type: 'string' },
  { name: 'ResourceId', type: 'string' },
  { name: 'Resource', type: 'string' },
  { name: 'Category', type: 'string' },
  { name: 'OperationName', type: 'string' },
  { name: 'errorLevel', type: 'string' },
  { name: 'Message', type: 'string' },
  { name: 'Detail', type: 'string' },
  { name: 'LogicalServerName', type: 'string' },
];

type Json = Readonly<Record<string, unknown>>;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

/** `/SUBSCRIPTIONS/<sub>/RESOURCEGROUPS/<rg>/PROVIDERS/<ns>/<type>/<name>` → its parts (upper case, as Azure stores them). */
function resourceParts(resourceId: string | null): { sub: string | null; rg: string | null; provider: string | null; type: string | null; name: string | null } {
  const m = resourceId ? /^\/SUBSCRIPTIONS\/([^/]+)\/RESOURCEGROUPS\/([^/]+)\/PROVIDERS\/([^/]+)\/([^/]+)\/([^/]+)/i.exec(resourceId) : null;
  if (!m) return { sub: null, rg: null, provider: null, type: null, name: null };
  return { sub: m[1]!.toLowerCase(), rg: m[2]!.toUpperCase(), provider: m[3]!.toUpperCase(), type: m[4]!.toUpperCase(), name: m[5]!.toUpperCase() };
}

/** The PGSQLServerLogs row of one diagnostic record. */
export function pgsqlServerLogsRow(record: Json): Record<string, unknown> {
  const p = (record.properties ?? {}) as Json;
  return {
    TimeGenerated: str(record.time) ?? str(p.timestamp),
    Message: str(p.message),
    ErrorLevel: str(p.errorLevel),
    ProcessId: num(p.processId),
    SqlerrCode: str(p.sqlerrcode),
    BackendType: str(p.backend_type),
    LogicalServerName: str(record.LogicalServerName),
    Location: str(record.location),
    Detail: str(p.detail),
    Context: str(p.context),
  };
}

/** The AzureDiagnostics row of one diagnostic record (documented fields only). */
export function azureDiagnosticsRow(record: Json): Record<string, unknown> {
  const p = (record.properties ?? {}) as Json;
  const r = resourceParts(str(record.resourceId));
  return {
    SourceSystem: 'Azure',
    TimeGenerated: str(record.time) ?? str(p.timestamp),
    SubscriptionId: r.sub,
    ResourceGroup: r.rg,
    ResourceProvider: r.provider,
    ResourceType: r.type,
    ResourceId: str(record.resourceId),
    Resource: r.name,
    Category: str(record.category),
    OperationName: str(record.operationName),
    errorLevel: str(p.errorLevel),
    Message: str(p.message),
    Detail: str(p.detail),
    LogicalServerName: str(record.LogicalServerName),
  };
}

export function pgsqlServerLogsBytes(record: Json): number {
  return billedRecordBytes(pgsqlServerLogsRow(record), PGSQL_COLUMNS);
}

export function azureDiagnosticsBytes(record: Json): number {
  return billedRecordBytes(azureDiagnosticsRow(record), AZURE_DIAGNOSTICS_COLUMNS);
}

/** Sums the source tables' billed bytes over the PostgreSQLLogs records of blob lines. */
export class SourceTableEstimate {
  records = 0;
  readonly bytes: Record<SourceTable, number> = { PGSQLServerLogs: 0, AzureDiagnostics: 0 };

  /** One blob line: a record, or a legacy `{"records":[…]}` wrapper; anything else is skipped. */
  addLine(line: string): void {
    const text = line.trim().replace(/,$/, '');
    if (!text.startsWith('{')) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return;
    }
    const v = value as Json;
    if (Array.isArray(v.records)) for (const r of v.records as unknown[]) this.addRecord(r);
    else this.addRecord(v);
  }

  addRecord(record: unknown): void {
    if (record === null || typeof record !== 'object') return;
    const r = record as Json;
    if (r.category !== undefined && r.category !== 'PostgreSQLLogs') return;
    this.records++;
    this.bytes.PGSQLServerLogs += pgsqlServerLogsBytes(r);
    this.bytes.AzureDiagnostics += azureDiagnosticsBytes(r);
  }
}
