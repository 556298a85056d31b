// What to do after one upload attempt: a single pure function of the outcome, in the manner of
// Vector's RetryAction. Every rule about uploads lives here (docs/design.md "Delivery"):
//   accepted                                   → Ok
//   413 with more than one row                 → Split (halve and send each half)
//   401 / 403 / 404                            → Stop: every request would fail alike
//   408 / 429 / 5xx / network / timeout / no token, budget left → Retry after a delay
//   the same once the attempts or the run's time budget are spent → Stop (nothing is
//                                                dead-lettered, the checkpoint stays, the next
//                                                run resumes from it)
//   any other refusal (400, a single row over the size limit)  → DeadLetter: the service
//                                                refused these rows as invalid
import type { StopCode } from '../errors/ingestion-error.js';
import { retryDelay, type RetryPolicy } from './retry-policy.js';

export type UploadOutcome =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'refused'; readonly status: number; readonly retryAfter: string | null; readonly message: string }
  /** Reset, refused connection, DNS: nothing (or nothing complete) reached the service. */
  | { readonly kind: 'network'; readonly message: string }
  /** The attempt took longer than the upload timeout and was abandoned. */
  | { readonly kind: 'timeout'; readonly message: string }
  /** The credential could not produce a token: nothing was sent. */
  | { readonly kind: 'no-token'; readonly message: string };

export type UploadDecision =
  | { readonly action: 'Ok' }
  | { readonly action: 'Retry'; readonly delayMs: number }
  | { readonly action: 'Split' }
  | { readonly action: 'Stop'; readonly code: StopCode; readonly reason: string; readonly hint: string }
  | { readonly action: 'DeadLetter'; readonly reason: string };

export type { StopCode };

export interface AttemptContext {
  /** The attempt that just ended, from 1. */
  readonly attempt: number;
  /** Rows in the request. */
  readonly rows: number;
  /** ms since the epoch. */
  readonly now: number;
  /** When the run must stop (ms since the epoch), or null without a budget. */
  readonly deadline: number | null;
  /** A number in [0, 1) for jitter. */
  readonly random: number;
}

const RESUMES = 'nothing was dead-lettered and the checkpoint was not moved: the next run resumes from there';

/**
 * Statuses that mean the configuration is wrong: stop, with what to fix. The one wording of these
 * fixes: `check` (health-check.ts) gives the same for the same answer.
 */
export const STOP_STATUSES: Readonly<Record<number, { code: StopCode; hint: string }>> = {
  401: { code: 'IngestionUnauthorized', hint: 'the token was refused: check the managed identity (AZURE_CLIENT_ID, --client-id) and that it is in the DCR\'s tenant' },
  403: { code: 'IngestionForbidden', hint: 'the identity needs Monitoring Metrics Publisher on the DCR' },
  404: {
    code: 'IngestionNotFound',
    hint: 'the DCR or stream was not found: check the DCR immutable id (PGAUDIT_DCR_IMMUTABLE_ID, --rule-id), the stream (PGAUDIT_STREAM_NAME, --stream; PGAUDIT_RUN_STREAM_NAME for run records) and that the endpoint is the DCR\'s own (PGAUDIT_INGESTION_ENDPOINT, --endpoint)',
  },
};

function transient(outcome: UploadOutcome, policy: RetryPolicy): boolean {
  if (outcome.kind !== 'refused') return outcome.kind !== 'accepted';
  return outcome.status >= 500 || policy.retryStatuses.includes(outcome.status);
}

function describe(outcome: Exclude<UploadOutcome, { kind: 'accepted' }>): string {
  return outcome.kind === 'refused' ? `HTTP ${outcome.status}: ${outcome.message}` : `${outcome.kind === 'no-token' ? 'no token' : outcome.kind}: ${outcome.message}`;
}

export function decideUpload(outcome: UploadOutcome, ctx: AttemptContext, policy: RetryPolicy): UploadDecision {
  if (outcome.kind === 'accepted') return { action: 'Ok' };
  const what = describe(outcome);
  if (outcome.kind === 'refused') {
    if (outcome.status === 413 && ctx.rows > 1) return { action: 'Split' };
    const stop = STOP_STATUSES[outcome.status];
    if (stop) return { action: 'Stop', code: stop.code, reason: `Logs Ingestion refused the upload (${what})`, hint: `${stop.hint}; ${RESUMES}` };
  }
  if (!transient(outcome, policy)) return { action: 'DeadLetter', reason: `refused as invalid (${what})` };

  const code: StopCode = outcome.kind === 'no-token' ? 'IngestionNoToken' : 'IngestionUnavailable';
  const hint = code === 'IngestionNoToken' ? 'check the managed identity (AZURE_CLIENT_ID) or sign in (az login)' : 'check the endpoint (PGAUDIT_INGESTION_ENDPOINT, --endpoint) and the service health';
  if (ctx.attempt >= policy.maxAttempts) {
    return { action: 'Stop', code, reason: `upload failed ${ctx.attempt} times (last: ${what})`, hint: `${hint}; ${RESUMES}` };
  }
  const delayMs = retryDelay(policy, ctx.attempt, outcome.kind === 'refused' ? outcome.retryAfter : null, ctx.now, ctx.random);
  if (ctx.deadline !== null && ctx.now + delayMs > ctx.deadline) {
    return { action: 'Stop', code: 'RunBudgetSpent', reason: `the run's time budget ends before the next attempt (last: ${what})`, hint: RESUMES };
  }
  return { action: 'Retry', delayMs };
}
