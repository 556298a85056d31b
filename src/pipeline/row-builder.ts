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

const SUCCESSFUL_COMPLETION = '00000';

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
  row.TimeGenerated = eventTimeOf(record, f);
  row.EventType = type;
  row.ServerName = serverNameOf(record);
  row.Severity = record.errorLevel ?? line?.level ?? null;
  const sqlState = record.sqlerrcode ?? f?.sqlState ?? null;
  // 00000 (successful completion) is every LOG line's: null says the same for nothing.
  row.SqlState = sqlState === SUCCESSFUL_COMPLETION ? null : sqlState;
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
  return row;
}

/** A line that could not be decoded or parsed: its raw text (redacted, capped) and the reason. */
export function unparsedRow(raw: string, reason: string, policy: TextPolicy, record: DiagnosticRecord | null = null): PgAuditRow {
  const row = record ? recordRow('UNPARSED', record, null, null) : emptyRow();
  row.EventType = 'UNPARSED';
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

/** How rows name their blob: its name relative to the server and the server (null: a local file, ServerName from the record). */
export interface BlobName {
  readonly blob: string;
  readonly server: string | null;
}

/**
 * Sets ServerName (of the blob path) and SourceBlob (relative to the server), which together name
 * the blob, SourceOffset, RecordId, InvalidUtf8 (true or null) and EventTime (only where Log
 * Analytics would replace TimeGenerated, eventTimeNeeded) on the rows of one line. `name` is
 * computed once per blob (serverRelativeBlobName, serverNameOfPath).
 */
export function stampRows(rows: PgAuditRow[], source: LineSource, name: BlobName, offset: number, invalidUtf8: boolean, sendsAt: number): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (name.server !== null) row.ServerName = name.server;
    row.SourceBlob = name.blob;
    row.SourceOffset = offset;
    row.RecordId = recordId(source, offset, i);
    if (invalidUtf8) row.InvalidUtf8 = true;
    row.EventTime = row.TimeGenerated !== null && eventTimeNeeded(row.TimeGenerated, sendsAt) ? row.TimeGenerated : null;
  }
}

/**
 * Log Analytics replaces a TimeGenerated more than 2 days before the time received, or more than
 * 1 day after it, with the time received (MicrosoftDocs/azure-monitor-docs
 * articles/azure-monitor/logs/log-standard-columns.md, "TimeGenerated"). EventTime keeps the event
 * time on exactly those rows, with 12 hours of margin for retries, the run budget and clock skew:
 * rows are made just before they are sent (a re-read makes them again; replay re-checks,
 * withEventTimeFor).
 */
export const EVENT_TIME_PAST_MS = 36 * 3_600_000;
export const EVENT_TIME_FUTURE_MS = 12 * 3_600_000;

export function eventTimeNeeded(timeGenerated: string, sendsAt: number): boolean {
  const t = Date.parse(timeGenerated);
  return Number.isFinite(t) && (sendsAt - t > EVENT_TIME_PAST_MS || t - sendsAt > EVENT_TIME_FUTURE_MS);
}

/**
 * Stable row id: 128 bits (22 base64url characters) of the SHA-256 of the blob's identity, full
 * name, byte offset and the row's index within its line. The same bytes of the same blob give the
 * same id on every read (so re-shipped rows are removable in KQL); a replaced blob's rows get
 * other ids than the old blob's. 128 bits: a collision among 10^12 rows has odds ~10^-15.
 */
export function recordId(source: LineSource, offset: number, index: number): string {
  const digest = hash('sha256', source.identity === null ? `${source.blob}\n${offset}\n${index}` : `${source.identity}\n${source.blob}\n${offset}\n${index}`, 'buffer');
  return digest.subarray(0, 16).toString('base64url');
}
