// A run as the Functions app and the CLI run it: ship the plan, then write its run records (after
// the rows they describe) and report planning problems like any other error.
import type { RunError } from '../errors/run-error.js';
import type { RunRecord } from '../run-record-schema.js';
import type { Plan } from './plan.js';
import { runRecordsOf, sendRunRecords, type RunInfo } from './run-records.js';
import type { ShipContext } from './ship-context.js';
import { runSweep, type SweepDeps, type SweepSummary } from './sweep.js';

export interface RecordedRun {
  readonly summary: SweepSummary;
  readonly records: readonly RunRecord[];
  /** Run records the service accepted, and those that went to the log instead. */
  readonly delivery: { readonly sent: number; readonly failed: number };
}

export async function recordedRun(ctx: ShipContext, plan: Plan, info: RunInfo, deps: SweepDeps = ctx.deps): Promise<RecordedRun> {
  const summary = await runSweep(plan.plan, deps);
  const problems: RunError[] = plan.problems.map((p) => ({ server: null, code: p.code, message: p.message, hint: p.hint ?? null }));
  summary.errors.unshift(...problems);
  const servers = [...plan.plan.keys()];
  const records = runRecordsOf(summary, plan.stats, info, undefined, servers.length === 1 ? servers[0]! : null);
  const delivery = await sendRunRecords(records, ctx.runSink, deps.log);
  if (delivery.failed > 0) deps.log(`${delivery.failed} run record(s) could not be sent to ${ctx.config.runStream}; each was logged above with its fields`);
  return { summary, records, delivery };
}
