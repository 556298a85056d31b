// Builds PgAudit_CL rows from the parsed layers. Every text column passes through redaction
// first and the cap second.
import { hash } from 'node:crypto';
import { capText } from '../enrich/cap.js';
import type { Redactor } from '../enrich/redact.js';
import type { Session } from '../enrich/sessions.js';
import type { DiagnosticRecord } from '../read/diagnostic-record.js';
import type { LogLine } from '../parse/log-line.js';
import type { PrefixFields } from '../parse/prefix-escapes.js';
import { epochToIso, normalizeIso, pgTimestampToIso } from '../parse/timestamps.js';
import { emptyRow, type EventType, type PgAuditRow } from '../schema.js';

export interface TextPolicy {
  readonly redactor: Redactor;
  readonly cap: number;
}

/** Redacts then caps a text column; marks the row when a secret was removed. */
export function setText(row: PgAuditRow, column: 'Message' | 'Detail', text: string | null, policy: TextPolicy): void {
  if (text === null) return;
  const r = policy.redactor.redact(text);
  if (r.redacted) row.Redacted = true;
  row[column] = capText(r.text, policy.cap).text;
}

export function serverNameOf(record: DiagnosticRecord): string | null {
  const name = record.logicalServerName ?? lastSegment(record.resourceId);
  return name ? name.toLowerCase() : null;
}

function lastSegment(resourceId: string | null): string | null {
  if (!resourceId) return null;
  const trimmed = resourceId.replace(/\/+$/, '');
  const name = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  return name === '' ? null : name;
}

export function eventTimeOf(record: DiagnosticRecord, fields: PrefixFields | null): string | null {
  return (
    pgTimestampToIso(record.timestamp) ??
    normalizeIso(record.time) ??
    (fields ? (pgTimestampToIso(fields.timestamp) ?? epochToIso(fields.epoch)) : null)
  );
}

/** Columns every row of a decoded record shares (time, server, process, session, who). */
export function recordRow(type: EventType, record: DiagnosticRecord, line: LogLine | null, session: Session | null): PgAuditRow {
  const row = emptyRow();
  const f = line?.fields ?? null;
  const time = eventTimeOf(record, f);
  row.TimeGenerated = time;
  row.EventTime = time;
  row.EventType = type;
  row.ServerName = serverNameOf(record);
  row.ServerResourceId = record.resourceId;
  row.Severity = record.errorLevel ?? line?.level ?? null;
  row.SqlState = record.sqlerrcode ?? f?.sqlState ?? null;
  row.ProcessId = record.processId ?? f?.processId ?? null;
  row.SessionId = f?.sessionId ?? null;
  row.SessionLine = f?.sessionLine ?? null;
  // The prefix wins; the session's connection lines fill what the prefix lacks.
  row.UserName = f?.userName ?? session?.userName ?? null;
  row.DatabaseName = f?.databaseName ?? session?.databaseName ?? null;
  row.ApplicationName = f?.applicationName ?? session?.applicationName ?? null;
  row.ConnectApplicationName = session?.connectApplicationName ?? null;
  row.ClientHost = f?.clientHost ?? session?.clientHost ?? null;
  row.ClientPort = f?.clientPort ?? session?.clientPort ?? null;
  row.Redacted = false;
  return row;
}

/** A line that could not be decoded or parsed: its raw text (redacted, capped) and the reason. */
export function unparsedRow(raw: string, reason: string, policy: TextPolicy, record: DiagnosticRecord | null = null): PgAuditRow {
  const row = record ? recordRow('UNPARSED', record, null, null) : emptyRow();
  row.EventType = 'UNPARSED';
  row.Redacted = row.Redacted ?? false;
  setText(row, 'Message', raw, policy);
  row.Detail = reason;
  return row;
}

/** A GAP row: pgAudit statement ids `from`..`to` of a session never reached the log. */
export function gapRow(base: PgAuditRow, from: number, to: number): PgAuditRow {
  const row: PgAuditRow = { ...base, EventType: 'GAP', Severity: null, SqlState: null, SessionLine: null, Detail: null, Message: null };
  const count = to - from + 1;
  row.StatementId = from;
  row.Message =
    `pgAudit statement id${count > 1 ? `s ${from}..${to} are` : ` ${from} is`} missing in this session ` +
    `(${count} statement${count > 1 ? 's' : ''} lost before reaching the log)`;
  return row;
}

/** Where a line came from: the blob's name and, for a blob, its identity (its creation time). */
export interface LineSource {
  readonly blob: string;
  /** Differs between a blob and a later blob of the same name; null for local files. */
  readonly identity: string | null;
}

/** Sets SourceBlob, SourceOffset, RecordId and InvalidUtf8 on the rows of one line. */
export function stampRows(rows: PgAuditRow[], source: LineSource, offset: number, invalidUtf8: boolean): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    row.SourceBlob = source.blob;
    row.SourceOffset = offset;
    row.RecordId = recordId(source, offset, i);
    row.InvalidUtf8 = invalidUtf8;
  }
}

/**
 * Stable row id: hex SHA-256 of the blob's identity, name, byte offset and the row's index within
 * its line. The same bytes of the same blob give the same id on every read (so re-shipped rows
 * are removable in KQL); a replaced blob's rows get other ids than the old blob's.
 */
export function recordId(source: LineSource, offset: number, index: number): string {
  return hash('sha256', source.identity === null ? `${source.blob}\n${offset}\n${index}` : `${source.identity}\n${source.blob}\n${offset}\n${index}`);
}
