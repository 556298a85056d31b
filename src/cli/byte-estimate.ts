// `parse --summary json`'s cost estimate: the JSON bytes of the rows each table would get under a
// tiering rule (src/tiering.ts, the rule the DCR routes by), and per EventType. The bytes are
// those parse writes (one row's NDJSON line without its newline): what the Logs Ingestion API is
// sent, so an upper bound of what Log Analytics bills (docs/deploy.md "Tiered cost").
import type { PgAuditRow } from '../schema.js';
import { BULK_CLASS_CHOICES, BULK_TABLE_NAME, DEFAULT_TIERING_RULE, tierOf, type TieringRule } from '../tiering.js';
import { UsageError } from '../errors/usage-error.js';

const ANALYTICS_TABLE = 'PgAudit_CL';

export class ByteEstimate {
  readonly byTable: Record<string, number> = { [ANALYTICS_TABLE]: 0, [BULK_TABLE_NAME]: 0 };
  readonly byEventType: Record<string, number> = {};

  constructor(readonly rule: TieringRule) {}

  add(row: PgAuditRow, bytes: number): void {
    this.byTable[tierOf(row, this.rule) === 'bulk' ? BULK_TABLE_NAME : ANALYTICS_TABLE]! += bytes;
    const type = row.EventType ?? 'null';
    this.byEventType[type] = (this.byEventType[type] ?? 0) + bytes;
  }

  json(): object {
    return { bytesByTable: this.byTable, bytesByEventType: this.byEventType, tieringRule: this.rule };
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
