// `parse --summary json`'s cost estimate. Two measures of the rows each table would get under a
// tiering rule (src/tiering.ts, the rule the DCR routes by), in total and per EventType:
// - `bytesByTable`/`bytesByEventType`: the JSON bytes parse writes (one row's NDJSON line without
//   its newline), what the Logs Ingestion API is sent;
// - `billed`: the billed size by the documented rule (billed-size.ts), side by side with what the
//   same source records would bill in Azure's own tables (source-table-size.ts), the run records
//   the ranges would add, and the monthly cost under each plan (cost-plans.ts).
import { COLUMNS, type PgAuditRow } from '../schema.js';
import { BULK_CLASS_CHOICES, BULK_TABLE_NAME, DEFAULT_TIERING_RULE, tierOf, type TieringRule } from '../tiering.js';
import { UsageError } from '../errors/usage-error.js';
import { BILLING_ASSUMPTIONS, BILLING_RULE_SOURCE, billedRecordBytes } from './billed-size.js';
import { SOURCE_TABLE_DOCS, SourceTableEstimate } from './source-table-size.js';
import { monthlyCosts, type MonthlyVolume } from './cost-plans.js';
import { representativeRunRecordBytes } from './run-record-size.js';

const ANALYTICS_TABLE = 'PgAudit_CL';
const RUN_TABLE = 'PgAuditIngest_CL';

const ratio = (a: number, b: number): number | null => (b > 0 ? Number((a / b).toFixed(3)) : null);

export class ByteEstimate {
  readonly byTable: Record<string, number> = { [ANALYTICS_TABLE]: 0, [BULK_TABLE_NAME]: 0 };
  readonly byEventType: Record<string, number> = {};
  readonly billedByTable: Record<string, number> = { [ANALYTICS_TABLE]: 0, [BULK_TABLE_NAME]: 0, [RUN_TABLE]: 0 };
  readonly billedByEventType: Record<string, number> = {};
  readonly rowsByTable: Record<string, number> = { [ANALYTICS_TABLE]: 0, [BULK_TABLE_NAME]: 0 };
  /** The source records, when every input could be read a second time (not stdin). */
  readonly source = new SourceTableEstimate();
  private sourceComplete = true;
  private ranges = 0;
  /** Per input (a blob): our billed bytes and, once read again, the source tables' bytes. */
  private readonly inputs: { input: string; ours: number; source: SourceTableEstimate | null }[] = [];

  constructor(
    readonly rule: TieringRule,
    readonly volume: MonthlyVolume | null = null,
  ) {}

  add(row: PgAuditRow, bytes: number): void {
    const table = tierOf(row, this.rule) === 'bulk' ? BULK_TABLE_NAME : ANALYTICS_TABLE;
    const billed = billedRecordBytes(row, COLUMNS);
    this.byTable[table]! += bytes;
    this.billedByTable[table]! += billed;
    this.rowsByTable[table]! += 1;
    const current = this.inputs.at(-1);
    if (current) current.ours += billed;
    const type = row.EventType ?? 'null';
    this.byEventType[type] = (this.byEventType[type] ?? 0) + bytes;
    this.billedByEventType[type] = (this.billedByEventType[type] ?? 0) + billed;
  }

  /** The rows added from now on come from this input (a blob: one shipped range). */
  beginInput(name: string): void {
    this.inputs.push({ input: name, ours: 0, source: null });
  }

  /** One shipped range (a blob, or a local file): the run records it brings (a blob record and a heartbeat). */
  addRange(): void {
    this.ranges++;
    const bytes = representativeRunRecordBytes();
    this.billedByTable[RUN_TABLE]! += bytes;
    const current = this.inputs.at(-1);
    if (current) current.ours += bytes;
  }

  /** One blob line of the current input, read again for the source-table estimate. */
  addSourceLine(line: string): void {
    this.source.addLine(line);
    const current = this.inputs.at(-1);
    if (current) (current.source ??= new SourceTableEstimate()).addLine(line);
  }

  /** An input whose source records could not be read again (stdin): no source-table estimate. */
  sourceUnavailable(): void {
    this.sourceComplete = false;
  }

  billedJson(): object {
    const ours = Object.values(this.billedByTable).reduce((a, b) => a + b, 0);
    const rows = this.rowsByTable[ANALYTICS_TABLE]! + this.rowsByTable[BULK_TABLE_NAME]!;
    const source = this.sourceComplete ? this.source : null;
    return {
      rule: BILLING_RULE_SOURCE,
      assumptions: BILLING_ASSUMPTIONS,
      bytesByTable: this.billedByTable,
      bytesByEventType: this.billedByEventType,
      rowsByTable: this.rowsByTable,
      ranges: this.ranges,
      total: ours,
      sourceRecords: source?.records ?? null,
      sourceTables: source ? { PGSQLServerLogs: source.bytes.PGSQLServerLogs, AzureDiagnostics: source.bytes.AzureDiagnostics } : null,
      sourceTableColumns: SOURCE_TABLE_DOCS,
      ratioToPGSQLServerLogs: source ? ratio(ours, source.bytes.PGSQLServerLogs) : null,
      ratioToAzureDiagnostics: source ? ratio(ours, source.bytes.AzureDiagnostics) : null,
      byInput: this.inputs.map((i) => ({
        input: i.input,
        ours: i.ours,
        sourceRecords: i.source?.records ?? null,
        PGSQLServerLogs: i.source?.bytes.PGSQLServerLogs ?? null,
        AzureDiagnostics: i.source?.bytes.AzureDiagnostics ?? null,
        ratioToPGSQLServerLogs: i.source ? ratio(i.ours, i.source.bytes.PGSQLServerLogs) : null,
        ratioToAzureDiagnostics: i.source ? ratio(i.ours, i.source.bytes.AzureDiagnostics) : null,
      })),
      bytesPerRow: rows > 0 ? Number((ours / rows).toFixed(1)) : null,
      monthly: this.volume
        ? monthlyCosts(this.volume, {
            records: source?.records ?? rows,
            analytics: this.billedByTable[ANALYTICS_TABLE]!,
            bulk: this.billedByTable[BULK_TABLE_NAME]!,
            runRecords: this.billedByTable[RUN_TABLE]!,
            pgsqlServerLogs: source?.bytes.PGSQLServerLogs ?? null,
            azureDiagnostics: source?.bytes.AzureDiagnostics ?? null,
          })
        : null,
    };
  }

  json(): object {
    return { bytesByTable: this.byTable, bytesByEventType: this.byEventType, tieringRule: this.rule, billed: this.billedJson() };
  }
}

/** The rule from --tier-bulk-class / --tier-privileged-user (each repeatable); the default without them. */
export function tieringRuleOf(bulkClasses: readonly string[] | undefined, privilegedUsers: readonly string[] | undefined): TieringRule {
  const classes = bulkClasses?.length ? bulkClasses.map((c) => c.toUpperCase()) : DEFAULT_TIERING_RULE.bulkClasses;
  const unknown = classes.filter((c) => !(BULK_CLASS_CHOICES as readonly string[]).includes(c));
  if (unknown.length > 0) {
    throw new UsageError(`--tier-bulk-class: ${unknown.join(', ')} cannot be routed to ${BULK_TABLE_NAME}`, { hint: `choose from ${BULK_CLASS_CHOICES.join(', ')} (ROLE and DDL always stay in ${ANALYTICS_TABLE}, where the alerts run)` });
  }
  return { bulkClasses: [...new Set(classes)], privilegedUsers: privilegedUsers ?? DEFAULT_TIERING_RULE.privilegedUsers };
}
