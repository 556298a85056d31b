// The billed size of a Log Analytics record, by the documented rule: Analytics and Basic records
// are billed by "a string representation of the column entries"; `_ResourceId`, `_SubscriptionId`,
// `_ItemId`, `_IsBillable`, `_BilledSize` and `Type` are excluded (MicrosoftDocs/azure-monitor-docs
// articles/azure-monitor/logs/cost-logs.md, "Data size calculation"). What the page does not say,
// and this estimate assumes (stated in `parse --summary json` and docs/deploy.md "Costs"), is in
// BILLING_ASSUMPTIONS. Pure: no I/O, no clock.
import type { TableColumnType } from '../schema.js';

export const BILLING_RULE_SOURCE = 'MicrosoftDocs/azure-monitor-docs articles/azure-monitor/logs/cost-logs.md (Data size calculation)';

export const BILLING_ASSUMPTIONS = [
  'a record costs the sum of the UTF-8 byte lengths of its column values as text; column names cost nothing',
  'a null (absent) column costs 0 bytes',
  'datetime: ISO 8601 text with 7 fraction digits, 28 bytes (2026-12-08T01:00:00.0000000Z)',
  'int, long, real, boolean: their text (42, true, false)',
  'dynamic: its JSON text',
  'not billed: _ResourceId, _SubscriptionId, _ItemId, _IsBillable, _BilledSize, Type (documented)',
  'TenantId (the workspace id, a 36-character GUID) is on every record of every table and is billed',
  'no compression or per-record overhead; measure the real bill with _BilledSize',
] as const;

/** Columns the documented rule excludes from the billed size. */
export const UNBILLED_COLUMNS: ReadonlySet<string> = new Set(['_ResourceId', '_SubscriptionId', '_ItemId', '_IsBillable', '_BilledSize', 'Type']);

/** TenantId: every table has it; a GUID as text. */
export const TENANT_ID_BYTES = 36;

/** A datetime as Log Analytics shows it: 2026-12-08T01:00:00.0000000Z. */
export const DATETIME_BYTES = 28;

// eslint-disable-next-line no-control-regex -- every ASCII character, control characters included
const ASCII = /^[\x00-\x7f]*$/;

/** UTF-8 length of a string, without encoding it when it is ASCII (the usual case). */
export function utf8Bytes(text: string): number {
  return ASCII.test(text) ? text.length : Buffer.byteLength(text, 'utf8');
}

/** The billed bytes of one column value of the given type (null and undefined: 0). */
export function billedValueBytes(value: unknown, type: TableColumnType | 'real' | 'guid'): number {
  if (value === null || value === undefined) return 0;
  switch (type) {
    case 'dateTime':
      return DATETIME_BYTES;
    case 'int':
    case 'long':
    case 'real':
      return typeof value === 'number' ? String(value).length : utf8Bytes(textOf(value));
    case 'boolean':
      return value === true || value === 'true' ? 4 : 5;
    case 'dynamic':
      return utf8Bytes(typeof value === 'string' ? value : JSON.stringify(value));
    default:
      return utf8Bytes(textOf(value));
  }
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

export interface BilledColumn {
  readonly name: string;
  readonly type: TableColumnType | 'real' | 'guid';
}

/**
 * The billed bytes of one record of a table with these columns: TenantId plus every column
 * value (the excluded ones skipped). `row` holds the values by column name.
 */
export function billedRecordBytes(row: Readonly<Record<string, unknown>>, columns: readonly BilledColumn[]): number {
  let bytes = TENANT_ID_BYTES;
  for (const c of columns) {
    if (UNBILLED_COLUMNS.has(c.name) || c.name === 'TenantId') continue;
    bytes += billedValueBytes(row[c.name], c.type);
  }
  return bytes;
}
