// `ship` (one run over a container) and `backfill` (archived blobs of a time range). Exit 0 when
// every planned server shipped; 1 when a server or the run stopped (the summary says which and
// what to do; checkpoints stay where the last complete write left them).
import { UsageError } from '../errors/usage-error.js';
import { totalRows } from '../pipeline/stats.js';
import { planFromListing } from '../ship/plan.js';
import { recordedRun } from '../ship/recorded-run.js';
import { newRunInfo } from '../ship/run-records.js';
import { blobLogRecord, type ShippingSummary } from '../ship/shipping-run.js';
import type { CliIo } from './parse-command.js';
import { shipContextFromCli } from './ship-context-from-cli.js';

export interface ShipCliOptions extends Readonly<Record<string, unknown>> {
  readonly prefix: string;
}

export interface BackfillCliOptions extends ShipCliOptions {
  readonly from: string;
  readonly to?: string;
}

function parseTime(value: string, name: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new UsageError(`${name} must be a date/time such as 2026-11-01 or 2026-11-01T05:00Z (got ${JSON.stringify(value)})`);
  return d;
}

export async function runShip(o: ShipCliOptions, io: CliIo, range?: { from: Date; to: Date }): Promise<number> {
  const log = (m: string): void => void io.stderr.write(`pgaudit-ingest: ${m}\n`);
  const { settings, ctx } = await shipContextFromCli(o, log);
  await ctx.ensureContainers();
  const planned = await planFromListing(ctx.deps.source, ctx.store, o.prefix, ctx.deps.options.now(), ctx.config.lookbackMs, range);
  const blobs = [...planned.plan.values()].reduce((n, s) => n + s.size, 0);
  log(
    `${planned.stats.blobsChecked} blob(s) of ${planned.stats.serversSeen} server(s) under ${JSON.stringify(o.prefix || '(all)')} in ${settings.logsContainer}` +
      `${range ? ` for ${range.from.toISOString()} .. ${range.to.toISOString()}` : ''}; ${blobs} to read (the others are unchanged since they were shipped)`,
  );
  const { summary } = await recordedRun(ctx, planned, newRunInfo(range ? 'backfill' : 'ship'), {
    ...ctx.deps,
    onBlob: (r) => {
      if (r.status === 'shipped') {
        const rec = blobLogRecord(r);
        log(`${r.blob} [${r.range.start}, ${r.range.end}) rows ${String(rec.totalRows)}, shipped ${r.shipped}, dead-lettered ${r.deadLettered}${r.lateBytes ? `, ${r.lateBytes} late byte(s)` : ''}${r.closed ? ', done' : ''}, ${r.durationMs} ms`);
      }
    },
  });
  io.stderr.write(formatSummary(summary));
  return summary.errors.length > 0 ? 1 : 0;
}

export async function runBackfill(o: BackfillCliOptions, io: CliIo): Promise<number> {
  const from = parseTime(o.from, '--from');
  const to = o.to ? parseTime(o.to, '--to') : new Date();
  if (to <= from) throw new UsageError(`--to (${to.toISOString()}) must be after --from (${from.toISOString()})`);
  return runShip(o, io, { from, to });
}

export function formatSummary(s: ShippingSummary): string {
  const st = s.stats;
  const byType = Object.entries(st.rows)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  const mb = s.acceptedBytes / 1e6;
  const lines = [
    `shipped ${s.shipped} of ${totalRows(st)} row(s) (${byType}) in ${(s.durationMs / 1000).toFixed(1)} s`,
    `${s.acceptedRequests} upload request(s) accepted, ${mb.toFixed(2)} MB${s.acceptedRequests ? `, ${(mb / s.acceptedRequests).toFixed(2)} MB per request` : ''}${s.requests > s.acceptedRequests ? `; ${s.requests - s.acceptedRequests} attempt(s) failed or were retried` : ''}`,
    `dead-lettered ${s.deadLettered}, dropped ${st.dropped}, filtered ${st.filtered}, unparsed ${st.rows.UNPARSED}, redacted ${st.redacted}, late bytes ${s.lateBytes}`,
  ];
  for (const [rule, n] of Object.entries(st.filteredByRule)) lines.push(`filtered by ${rule}: ${n}`);
  if (st.cutRows) lines.push(`${st.cutRows} row(s) were cut to fit the row size limit (TruncatedColumns names what)`);
  if (st.invalidUtf8Lines) lines.push(`warning: ${st.invalidUtf8Lines} line(s) were not valid UTF-8 (their rows have InvalidUtf8)`);
  if (s.busyServers.length) lines.push(`skipped ${s.busyServers.length} server(s) another worker was shipping: ${s.busyServers.join(', ')}`);
  for (const n of s.notices) lines.push(`notice: ${n.server}: ${n.message}`);
  if (s.deadLettered) lines.push('warning: some rows were dead-lettered; fix the cause, then run `pgaudit-ingest replay`');
  if (st.prefixMismatches) lines.push(`warning: ${st.prefixMismatches} line(s) did not match the log_line_prefix; pass the servers' prefix with --log-line-prefix`);
  if (s.budgetSpent) lines.push(`the run's time budget (--run-budget-minutes) was spent${s.notStarted.length ? `; ${s.notStarted.length} server(s) not started` : ''}: run again to continue from the checkpoints`);
  for (const e of s.errors) lines.push(`error: ${e.server ?? 'run'}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
  if (s.stoppedBy && s.notStarted.length) lines.push(`error: the run stopped; ${s.notStarted.length} server(s) not started: ${s.notStarted.join(', ')}`);
  return lines.map((l) => `pgaudit-ingest: ${l}\n`).join('');
}
