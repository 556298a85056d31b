// How often and how long to retry an upload, as data (in the manner of ky's retry options).
// upload-decision.ts reads it; nothing else decides about retries. The number of attempts is a
// setting (PGAUDIT_UPLOAD_ATTEMPTS, handed in by whoever builds the sink); the backoff is fixed.

export interface RetryPolicy {
  /** Total attempts of one request, the first included. */
  readonly maxAttempts: number;
  /** First backoff when the service gives no Retry-After, doubled per attempt (±20 % jitter). */
  readonly baseDelayMs: number;
  /** Longest single wait, whatever Retry-After says. */
  readonly maxDelayMs: number;
  /** Statuses that are transient (5xx always are). */
  readonly retryStatuses: readonly number[];
}

/** The policy of a run: `maxAttempts` from the settings, the fixed backoff. */
export function retryPolicy(maxAttempts: number): RetryPolicy {
  return { maxAttempts, baseDelayMs: 1000, maxDelayMs: 120_000, retryStatuses: [408, 429] };
}

/** Retry-After as milliseconds to wait: delta-seconds or an HTTP date; null when absent or bad. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value == null || value.trim() === '') return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** The wait before attempt `attempt + 1`: Retry-After when told, else exponential backoff with jitter. */
export function retryDelay(policy: RetryPolicy, attempt: number, retryAfter: string | null, now: number, random: number): number {
  const told = parseRetryAfter(retryAfter, now);
  const backoff = policy.baseDelayMs * 2 ** (attempt - 1) * (0.8 + 0.4 * random);
  return Math.round(Math.min(told ?? backoff, policy.maxDelayMs));
}
