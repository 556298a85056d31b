// `ship` (one sweep over a container) and `backfill` (archived blobs of a time range).
import { UsageError } from '../errors/usage-error.js';
import { totalRows } from '../pipeline/stats.js';
import { blobLogRecord, planFromListing, runSweep, type SweepSummary } from '../ship/sweep.js';
import type { CliIo } from './parse-command.js';
import { shipContextFromCli } from './ship-context-from-cli.js';
import type { ShipCliOptions } from './ship-options.js';

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
  const ctx = shipContextFromCli(o, log);
  await ctx.ensureContainers();
  const plan = await planFromListing(ctx.deps.source, o.prefix, range);
  const blobs = [...plan.values()].reduce((n, s) => n + s.size, 0);
  log(`${blobs} blob(s) of ${plan.size} server(s) under ${JSON.stringify(o.prefix || '(all)')} in ${o.container}${range ? ` for ${range.from.toISOString()} .. ${range.to.toISOString()}` : ''}`);
  const summary = await runSweep(plan, {
    ...ctx.deps,
    onBlob: (r) => {
      if (r.status === 'shipped') {
        const rec = blobLogRecord(r);
        log(`${r.blob} [${r.range.start}, ${r.range.end}) rows ${String(rec.totalRows)}, shipped ${r.shipped}, dead-lettered ${r.deadLettered}${r.closed ? ', done' : ''}, ${r.durationMs} ms`);
      }
    },
  });
  io.stderr.write(formatSummary(summary));
  return 0;
}

export async function runBackfill(o: BackfillCliOptions, io: CliIo): Promise<number> {
  const from = parseTime(o.from, '--from');
  const to = o.to ? parseTime(o.to, '--to') : new Date();
  if (to <= from) throw new UsageError(`--to (${to.toISOString()}) must be after --from (${from.toISOString()})`);
  return runShip(o, io, { from, to });
}

export function formatSummary(s: SweepSummary): string {
  const st = s.stats;
  const byType = Object.entries(st.rows)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  const mb = s.acceptedBytes / 1e6;
  const lines = [
    `shipped ${s.shipped} of ${totalRows(st)} row(s) (${byType}) in ${(s.durationMs / 1000).toFixed(1)} s`,
    `${s.requests} upload request(s), ${mb.toFixed(2)} MB accepted${s.requests ? `, ${(mb / Math.max(1, s.requests)).toFixed(2)} MB per request` : ''}`,
    `dead-lettered ${s.deadLettered}, dropped ${st.dropped}, unparsed ${st.rows.UNPARSED}, redacted ${st.redacted}`,
  ];
  if (s.busyServers.length) lines.push(`skipped ${s.busyServers.length} server(s) another worker was shipping: ${s.busyServers.join(', ')}`);
  if (s.deadLettered) lines.push('warning: some rows were dead-lettered; fix the cause, then run `pgaudit-ingest replay`');
  if (st.prefixMismatches) lines.push(`warning: ${st.prefixMismatches} line(s) did not match the log_line_prefix; pass the servers' prefix with --log-line-prefix`);
  return lines.map((l) => `pgaudit-ingest: ${l}\n`).join('');
}
