// `replay`: re-sends dead-lettered rows. A dead-letter blob is deleted only once every one of its
// rows was accepted; rows refused again are written to a fresh dead-letter blob first (same
// header context, new reason), so a replay can be repeated without sending any row twice.
import type { PgAuditRow } from '../schema.js';
import type { DeadLetterHeader } from '../ship/dead-letter-store.js';
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

export async function runReplay(o: ReplayCliOptions, io: CliIo): Promise<number> {
  const log = (m: string): void => void io.stderr.write(`pgaudit-ingest: ${m}\n`);
  const { settings, ctx } = await shipContextFromCli(o, log);
  await ctx.ensureContainers();
  const summary: ReplaySummary = { files: 0, replayedFiles: 0, accepted: 0, failedAgain: 0 };
  const names: string[] = [];
  for await (const name of ctx.deadLetters.list()) if (!o.prefix || name.startsWith(o.prefix)) names.push(name);
  log(`${names.length} dead-letter file(s) in ${settings.deadLetterContainer}${o.dryRun ? ' (dry run: nothing is sent)' : ''}`);

  for (const name of names) {
    summary.files++;
    let header: DeadLetterHeader | null = null;
    let accepted = 0;
    const refused: { rows: PgAuditRow[]; reason: string; status: number | null; body: string | null }[] = [];
    await ctx.deadLetters.read(
      name,
      (h) => {
        header = h;
        log(`${name}: ${h.rows} row(s) of ${h.sourceBlob} [${h.range.start}, ${h.range.end}), refused with ${h.status ?? 'no status'}: ${h.reason}`);
      },
      async (rows) => {
        if (o.dryRun) return;
        const sent = await ctx.sink.send(rows);
        accepted += sent.accepted;
        for (const f of sent.failed) refused.push({ rows: f.rows, reason: f.reason, status: f.status ?? null, body: f.body });
      },
    );
    if (o.dryRun || !header) continue;
    const h: DeadLetterHeader = header;
    for (const r of refused) {
      await ctx.deadLetters.write(r.rows, { reason: `replay refused: ${r.reason}`, status: r.status, body: r.body, sourceBlob: h.sourceBlob, range: h.range });
      summary.failedAgain += r.rows.length;
    }
    await ctx.deadLetters.delete(name);
    summary.accepted += accepted;
    summary.replayedFiles++;
    log(`${name}: ${accepted} accepted${refused.length ? `, ${refused.reduce((n, r) => n + r.rows.length, 0)} refused again (kept in a new dead-letter file)` : ''}`);
  }
  io.stderr.write(
    `pgaudit-ingest: replayed ${summary.replayedFiles} of ${summary.files} file(s): ${summary.accepted} row(s) accepted, ${summary.failedAgain} refused again\n`,
  );
  return summary.failedAgain > 0 ? 1 : 0;
}
