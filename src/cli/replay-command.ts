// `replay`: re-sends dead-lettered rows. A dead-letter blob is deleted only once every one of its
// rows was accepted; rows refused again are written to a fresh dead-letter blob first (same
// header context, new reason), so a replay can be repeated without sending any row twice. Each
// replayed file becomes a `blob` run record of its original range (Trigger replay).
import { runErrorOf } from '../errors/run-error.js';
import type { RunRecord } from '../run-record-schema.js';
import type { DeadLetterHeader } from '../ship/dead-letter-store.js';
import { baseRecord, blobFields, errorRecord, newRunInfo, sendRunRecords } from '../ship/run-records.js';
import { withEventTime, type SerializedRow } from '../ship/serialized-rows.js';
import type { ShipContext } from '../ship/ship-context.js';
import type { CliIo } from './parse-command.js';
import { shipContextFromCli } from './ship-context-from-cli.js';

export interface ReplayCliOptions extends Readonly<Record<string, unknown>> {
  readonly prefix: string;
  readonly dryRun?: boolean;
}

export interface ReplaySummary {
  files: number;
  replayedFiles: number;
  accepted: number;
  failedAgain: number;
}

type Log = (m: string) => void;

/** Replays one file; returns its blob run record (null in a dry run). */
async function replayFile(ctx: ShipContext, name: string, dryRun: boolean, log: Log, summary: ReplaySummary, info: ReturnType<typeof newRunInfo>): Promise<RunRecord | null> {
  let header: DeadLetterHeader | null = null;
  let accepted = 0;
  const refused: { rows: SerializedRow[]; reason: string; status: number | null; body: string | null }[] = [];
  await ctx.deadLetters.read(
    name,
    (h) => {
      header = h;
      log(`${name}: ${h.rows} row(s) of ${h.sourceBlob} [${h.range.start}, ${h.range.end}), refused with ${h.status ?? 'no status'}: ${h.reason}`);
    },
    async (rows) => {
      if (dryRun) return;
      // Sent later than they were made: rows whose time would now be replaced get EventTime.
      const now = Date.now();
      const sent = await ctx.sink.send(rows.map((r) => withEventTime(r, now)));
      accepted += sent.accepted;
      for (const f of sent.failed) refused.push({ rows: f.rows, reason: f.reason, status: f.status ?? null, body: f.body });
    },
  );
  if (dryRun || !header) return null;
  const h: DeadLetterHeader = header;
  for (const r of refused) await ctx.deadLetters.write(r.rows, { reason: `replay refused: ${r.reason}`, status: r.status, body: r.body, sourceBlob: h.sourceBlob, range: h.range });
  await ctx.deadLetters.delete(name);
  const again = refused.reduce((n, r) => n + r.rows.length, 0);
  summary.accepted += accepted;
  summary.failedAgain += again;
  summary.replayedFiles++;
  log(`${name}: ${accepted} accepted${again ? `, ${again} refused again (kept in a new dead-letter file)` : ''}`);
  return {
    ...baseRecord(info, 'blob', new Date().toISOString()),
    ...blobFields(h.sourceBlob),
    StartOffset: h.range.start, EndOffset: h.range.end, RowsShipped: accepted, RowsDeadLettered: again,
  };
}

export async function runReplay(o: ReplayCliOptions, io: CliIo): Promise<number> {
  const log: Log = (m) => void io.stderr.write(`pgaudit-ingest: ${m}\n`);
  const { settings, ctx } = await shipContextFromCli(o, log);
  await ctx.ensureContainers();
  const summary: ReplaySummary = { files: 0, replayedFiles: 0, accepted: 0, failedAgain: 0 };
  const names: string[] = [];
  for await (const name of ctx.deadLetters.list()) if (!o.prefix || name.startsWith(o.prefix)) names.push(name);
  log(`${names.length} dead-letter file(s) in ${settings.deadLetterContainer}${o.dryRun ? ' (dry run: nothing is sent)' : ''}`);

  const info = newRunInfo('replay');
  const records: RunRecord[] = [];
  const started = performance.now();
  try {
    for (const name of names) {
      summary.files++;
      const record = await replayFile(ctx, name, o.dryRun === true, log, summary, info);
      if (record) records.push(record);
    }
  } catch (err) {
    records.push(errorRecord(info, new Date().toISOString(), runErrorOf(null, err)));
    throw err;
  } finally {
    if (!o.dryRun) {
      records.push({ ...baseRecord(info, 'heartbeat', new Date().toISOString()), RowsShipped: summary.accepted, RowsDeadLettered: summary.failedAgain, BlobsChecked: summary.files, DurationMs: Math.round(performance.now() - started) });
      await sendRunRecords(records, ctx.runSink, log);
    }
  }
  io.stderr.write(`pgaudit-ingest: replayed ${summary.replayedFiles} of ${summary.files} file(s): ${summary.accepted} row(s) accepted, ${summary.failedAgain} refused again\n`);
  return summary.failedAgain > 0 ? 1 : 0;
}
