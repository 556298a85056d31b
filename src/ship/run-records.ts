// Run records (PgAuditIngest_CL, src/run-record-schema.ts): what makes completeness provable from
// the workspace. From one run's summary (a pure function): a `blob` record per checkpoint, one
// `heartbeat` per run (also when there was nothing to do), an `error` record per failure that
// stopped a server or the run and per notice about lost state. They are sent after the rows they
// describe (a crash in between may lose a run record, never an audit row); when they cannot be
// sent, each goes to the log with the same fields, so Application Insights still has it.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createRedactor } from '../enrich/redact.js';
import type { RunError } from '../errors/run-error.js';
import { packageRoot } from '../package-root.js';
import type { PipelineStats } from '../pipeline/stats.js';
import { emptyRunRecord, type RunRecord, type Trigger } from '../run-record-schema.js';
import { parseBlobPath, resourceIdOfPath, serverNameOfPath, serverRelativeBlobName } from '../read/blob-path.js';
import type { LogsIngestionSink, SendOptions } from './logs-ingestion-sink.js';
import type { PlanStats } from './plan.js';
import { serializeRow } from './serialized-rows.js';
import type { ShippingSummary } from './shipping-run.js';

export interface RunInfo {
  readonly runId: string;
  readonly trigger: Trigger;
  readonly appVersion: string;
  readonly host: string;
}

let version: string | null = null;

/** A new run's identity: a fresh RunId, this release's version, and the host it runs on. */
export function newRunInfo(trigger: Trigger, env: NodeJS.ProcessEnv = process.env): RunInfo {
  version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return { runId: randomUUID(), trigger, appVersion: version, host: env.WEBSITE_INSTANCE_ID || hostname() };
}

const redactor = createRedactor();

/** The fields every run record of a run shares. */
export function baseRecord(info: RunInfo, type: RunRecord['RecordType'], at: string): RunRecord {
  return { ...emptyRunRecord(), TimeGenerated: at, RecordType: type, RunId: info.runId, Trigger: info.trigger, AppVersion: info.appVersion, Host: info.host };
}

function counts(stats: PipelineStats): Pick<RunRecord, 'RowsDropped' | 'RowsFiltered' | 'RowsFilteredByRule' | 'RowsUnparsed' | 'RowsByEventType'> {
  const byType = Object.fromEntries(Object.entries(stats.rows).filter(([, n]) => n > 0));
  return { RowsDropped: stats.dropped, RowsFiltered: stats.filtered, RowsFilteredByRule: stats.filteredByRule, RowsUnparsed: stats.rows.UNPARSED, RowsByEventType: byType };
}

/** ServerName, ServerResourceId and the server-relative SourceBlob of a blob (its server path: parseBlobPath's, unless given). */
export function blobFields(blob: string, serverPath: string = parseBlobPath(blob).serverPath): Pick<RunRecord, 'ServerName' | 'ServerResourceId' | 'SourceBlob'> {
  return { ServerName: serverNameOfPath(serverPath) || null, ServerResourceId: resourceIdOfPath(serverPath), SourceBlob: serverRelativeBlobName(blob) };
}

/** An error record: a failure or a notice, its message redacted (it may quote what it read). */
export function errorRecord(info: RunInfo, at: string, e: Pick<RunError, 'server' | 'code' | 'message' | 'hint'>, blob: string | null = null): RunRecord {
  const text = e.hint ? `${e.message} (${e.hint})` : e.message;
  return { ...baseRecord(info, 'error', at), ServerName: e.server ? serverNameOfPath(e.server) || null : null, ServerResourceId: e.server ? resourceIdOfPath(e.server) : null, SourceBlob: blob === null ? null : serverRelativeBlobName(blob), ErrorCode: e.code, ErrorMessage: redactor.redact(text).text.slice(0, 32_000) };
}

/** The run records of a run (blob records in the order they were written, then errors, then the heartbeat). */
export function runRecordsOf(summary: ShippingSummary, plan: PlanStats | null, info: RunInfo, at = new Date().toISOString(), onlyServer: string | null = null): RunRecord[] {
  const records: RunRecord[] = [];
  for (const r of summary.ranges) {
    records.push({
      ...baseRecord(info, 'blob', at),
      ...blobFields(r.blob, r.server),
      StartOffset: r.start,
      EndOffset: r.end,
      BlobLength: r.length,
      BytesBehind: Math.max(0, r.length - r.end),
      RowsShipped: r.shipped,
      RowsDeadLettered: r.deadLettered,
      ...counts(r.stats),
      LateBytes: r.lateBytes,
      DurationMs: r.durationMs,
    });
  }
  for (const e of summary.errors) records.push(errorRecord(info, at, e));
  for (const n of summary.notices) records.push(errorRecord(info, at, { server: n.server, code: n.code, message: n.message, hint: null }));
  const read = summary.ranges.reduce((n, r) => n + (r.end - r.start), 0);
  records.push({
    ...baseRecord(info, 'heartbeat', at),
    // A run of one server (a queue message) names it: its BytesBehind is that server's lag.
    ServerName: onlyServer ? serverNameOfPath(onlyServer) || null : null,
    ServersSeen: plan?.serversSeen ?? summary.servers,
    BlobsChecked: plan?.blobsChecked ?? summary.blobs.length,
    BytesBehind: plan ? Math.max(0, plan.bytesBehind - read) : summary.blobs.reduce((n, b) => n + b.bytesBehind, 0),
    RowsShipped: summary.shipped,
    RowsDeadLettered: summary.deadLettered,
    ...counts(summary.stats),
    LateBytes: summary.lateBytes,
    DurationMs: summary.durationMs,
  });
  return records;
}

/** Sends the records (within `bounds`); what cannot be sent goes to `log`, one JSON object per record. */
export async function sendRunRecords(records: readonly RunRecord[], sink: LogsIngestionSink, log: (line: string) => void, bounds: SendOptions = {}): Promise<{ sent: number; failed: number }> {
  let failure: string | null = null;
  let sent = 0;
  let undelivered: RunRecord[] = [];
  try {
    const result = await sink.send(records.map(serializeRow), bounds);
    sent = result.accepted;
    for (const f of result.failed) {
      undelivered.push(...records.slice(f.from, f.to));
      failure = f.reason;
    }
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
    undelivered = [...records];
    sent = 0;
  }
  for (const r of undelivered) log(JSON.stringify({ event: 'pgaudit-ingest.runRecord', delivered: false, reason: failure, ...r }));
  return { sent, failed: undelivered.length };
}
