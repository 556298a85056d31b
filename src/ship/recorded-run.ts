// A run as the Functions app and the CLI run it: ship the plan, then write its run records (after
// the rows they describe) and report planning problems like any other error.
import type { RunError } from '../errors/run-error.js';
import type { RunRecord } from '../run-record-schema.js';
import type { Plan } from './plan.js';
import { runClock } from './run-clock.js';
import { runRecordsOf, sendRunRecords, type RunInfo } from './run-records.js';
import type { ShipContext } from './ship-context.js';
import { runShipping, type ShippingDeps, type ShippingSummary } from './shipping-run.js';

export interface RecordedRun {
  readonly summary: ShippingSummary;
  readonly records: readonly RunRecord[];
  /** Run records the service accepted, and those that went to the log instead. */
  readonly delivery: { readonly sent: number; readonly failed: number };
}

export async function recordedRun(ctx: ShipContext, plan: Plan, info: RunInfo, deps: ShippingDeps = ctx.deps): Promise<RecordedRun> {
  const clock = runClock(Date.now(), deps.budgetMs, deps.uploadTimeoutMs);
  const summary = await runShipping(plan.plan, deps, clock);
  const problems: RunError[] = plan.problems.map((p) => ({ server: null, code: p.code, message: p.message, hint: p.hint ?? null }));
  summary.errors.unshift(...problems);
  const servers = [...plan.plan.keys()];
  const records = runRecordsOf(summary, plan.stats, info, undefined, servers.length === 1 ? servers[0]! : null);
  // Within the run's end; and when the rows' uploads stopped the run (an outage, a refusal, the
  // budget), one attempt: the same endpoint would refuse or time out alike, and waiting out the
  // outage a second time is what let a run outlive the host's timeout.
  const delivery = await sendRunRecords(records, ctx.runSink, deps.log, { deadline: clock.recordsEndBy, endBy: clock.recordsEndBy, ...(summary.stoppedBy ? { maxAttempts: 1 } : {}) });
  if (delivery.failed > 0) deps.log(`${delivery.failed} run record(s) could not be sent to ${ctx.config.runStream}; each was logged above with its fields`);
  return { summary, records, delivery };
}
