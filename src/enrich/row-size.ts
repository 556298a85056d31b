// The whole row's size. The service takes 1 MB per request; a row must fit one request with
// margin or it could never be delivered (a 413 on every replay). Per-column caps do not bound the
// row: 200 parameters of 10 KB make a 2 MB row, and capped text full of control characters grows
// sixfold when JSON-escaped (\u0001). So after the caps, a row over MAX_ROW_BYTES of JSON is cut,
// largest column first, and the columns cut are listed in TruncatedColumns.
import type { PgAuditRow } from '../schema.js';

/** Half a request: the row, its JSON array punctuation and any neighbour always fit. */
export const MAX_ROW_BYTES = 512 * 1024;

const CUTTABLE = ['Parameters', 'Parameter', 'Detail', 'Message', 'Statement'] as const;
type Cuttable = (typeof CUTTABLE)[number];

/** A bound on a row's JSON bytes from its text lengths (an escaped UTF-16 unit is ≤ 6 bytes). */
function quickBound(row: PgAuditRow): number {
  let units = 0;
  for (const column of CUTTABLE) {
    const v = row[column];
    if (typeof v === 'string') units += v.length;
    else if (Array.isArray(v)) for (const p of v as (string | null)[]) units += (p?.length ?? 4) + 3;
  }
  // Everything else in a row is small (names, ids, a statement-sized Statement is counted above).
  return 8192 + 6 * units + 6 * ((row.ObjectName?.length ?? 0) + (row.ApplicationName?.length ?? 0) + (row.ConnectApplicationName?.length ?? 0) + (row.SourceBlob?.length ?? 0));
}

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

function cutTo(row: PgAuditRow, column: Cuttable, targetBytes: number): void {
  const value = row[column];
  const bytes = jsonBytes(value);
  const keep = Math.max(0, targetBytes / Math.max(1, bytes));
  if (column === 'Parameters') {
    const list = value as (string | null)[];
    let kept = Math.floor(list.length * keep);
    if (kept >= list.length) kept = list.length - 1;
    const cut = list.length - kept;
    row.Parameters = [...list.slice(0, kept), `<${cut} parameter${cut === 1 ? '' : 's'} cut to fit the row size limit>`];
    return;
  }
  const text = value as string;
  if (column === 'Statement') row.StatementLength ??= text.length;
  let end = Math.floor(text.length * keep);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // never split a surrogate pair
  row[column] = text.slice(0, Math.max(0, end));
  if (column === 'Statement') row.StatementTruncated = true;
}

/** Cuts the row in place until its JSON is at most `limit` bytes; returns whether it did. */
export function fitRow(row: PgAuditRow, limit = MAX_ROW_BYTES): boolean {
  if (quickBound(row) <= limit) return false;
  let size = jsonBytes(row);
  if (size <= limit) return false;
  const cut = new Set<Cuttable>();
  while (size > limit) {
    const sizes = CUTTABLE.map((c) => [c, row[c] === null ? 0 : jsonBytes(row[c])] as const).sort((a, b) => b[1] - a[1]);
    const [column, columnBytes] = sizes[0]!;
    if (columnBytes <= 16) throw new Error(`a row of ${size} bytes has nothing left to cut (limit ${limit})`);
    // Aim a little below what is needed: escaped characters are not evenly spread.
    cutTo(row, column, Math.max(0, columnBytes - (size - limit) - 1024));
    cut.add(column);
    size = jsonBytes(row);
  }
  const already = Array.isArray(row.TruncatedColumns) ? (row.TruncatedColumns as string[]) : [];
  row.TruncatedColumns = [...new Set([...already, ...cut])];
  return true;
}
