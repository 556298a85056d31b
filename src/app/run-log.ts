// What one invocation logs through the Functions logger (it reaches Application Insights): a line
// per blob, every notice and every error with its fix, and one structured summary.
import type { InvocationContext } from '@azure/functions';
import { totalRows } from '../pipeline/stats.js';
import type { Trigger } from '../run-record-schema.js';
import { blobLogRecord, type ShippingSummary } from '../ship/shipping-run.js';

export function logRun(summary: ShippingSummary, delivery: { sent: number; failed: number }, trigger: Trigger, ctx: Pick<InvocationContext, 'log' | 'warn' | 'error'>): void {
  for (const b of summary.blobs) if (b.status !== 'missing' && b.status !== 'up-to-date') ctx.log(JSON.stringify({ event: 'pgaudit-ingest.blob', trigger, ...blobLogRecord(b) }));
  for (const n of summary.notices) ctx.warn(JSON.stringify({ event: 'pgaudit-ingest.notice', trigger, ...n }));
  for (const e of summary.errors) ctx.error(JSON.stringify({ event: 'pgaudit-ingest.error', trigger, ...e }));
  ctx.log(
    JSON.stringify({
      event: 'pgaudit-ingest.summary',
      trigger,
      servers: summary.servers,
      busyServers: summary.busyServers.length,
      notStarted: summary.notStarted.length,
      blobs: summary.blobs.filter((b) => b.status === 'shipped').length,
      rows: totalRows(summary.stats),
      rowsByEventType: summary.stats.rows,
      shipped: summary.shipped,
      deadLettered: summary.deadLettered,
      dropped: summary.stats.dropped,
      filtered: summary.stats.filtered,
      filteredByRule: summary.stats.filteredByRule,
      unparsed: summary.stats.rows.UNPARSED,
      redacted: summary.stats.redacted,
      lateBytes: summary.lateBytes,
      requests: summary.acceptedRequests,
      attempts: summary.requests,
      errors: summary.errors.length,
      runRecordsSent: delivery.sent,
      runRecordsLogged: delivery.failed,
      budgetSpent: summary.budgetSpent,
      durationMs: summary.durationMs,
    }),
  );
  if (summary.deadLettered > 0) ctx.warn(`${summary.deadLettered} row(s) were dead-lettered; run \`pgaudit-ingest replay\` once the cause is fixed`);
  if (delivery.failed > 0) ctx.error(`${delivery.failed} run record(s) could not be sent to the run-record stream; each was logged as a pgaudit-ingest.runRecord event with its fields`);
}
