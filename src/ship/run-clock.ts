// When a run must be done, as three instants from its start (docs/design.md "Run budget"). The
// budget (PGAUDIT_RUN_BUDGET_MINUTES) ends the work: no range, server or retry starts after it.
// An upload attempt already under way may still run its timeout, so the run's rows must have
// ended one upload timeout later, less a reserve kept for the run records, which describe them and
// are sent last; by `recordsEndBy` every request has ended, whatever the endpoint does. host.json's
// functionTimeout is longer than budget + one upload timeout (test/unit/service-limits.test.ts),
// so a run that meets an outage still ends, logs its summary and releases its leases itself.

export interface RunClock {
  /** The budget's end (ms since the epoch): nothing new starts after it; null: no budget. */
  readonly budgetEnd: number | null;
  /** No upload attempt of the rows runs past this. */
  readonly rowsEndBy: number | null;
  /** No upload attempt of the run records runs past this: the end of every request of the run. */
  readonly recordsEndBy: number | null;
}

/** What the run records keep of the last upload timeout: enough for one small request. */
export const RUN_RECORDS_RESERVE_MS = 15_000;

export const UNBOUNDED: RunClock = { budgetEnd: null, rowsEndBy: null, recordsEndBy: null };

export function runClock(startedAt: number, budgetMs: number, uploadTimeoutMs: number): RunClock {
  if (budgetMs <= 0) return UNBOUNDED;
  const budgetEnd = startedAt + budgetMs;
  const recordsEndBy = budgetEnd + uploadTimeoutMs;
  return { budgetEnd, rowsEndBy: recordsEndBy - Math.min(RUN_RECORDS_RESERVE_MS, uploadTimeoutMs / 2), recordsEndBy };
}
