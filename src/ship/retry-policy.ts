// When to retry an upload: a small pure function of (status, headers, attempt), in the manner of
// Vector's RetryAction and ky's retry policy. 429 and 5xx are transient and retried, honouring
// Retry-After; other 4xx will fail the same way again and are given up at once (dead-lettered).

export interface RetryPolicyOptions {
  /** Total attempts including the first (default 6). */
  readonly maxAttempts: number;
  /** First backoff when the service gives no Retry-After (default 1 s), doubled per attempt. */
  readonly baseDelayMs: number;
  /** Longest single wait, whatever Retry-After says (default 120 s). */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicyOptions = { maxAttempts: 6, baseDelayMs: 1000, maxDelayMs: 120_000 };

export type RetryDecision = { readonly retry: true; readonly delayMs: number } | { readonly retry: false; readonly reason: string };

const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);

/**
 * @param status HTTP status, or undefined for a network error (reset, timeout) — transient.
 * @param retryAfter the Retry-After header (seconds or an HTTP date), if any.
 * @param attempt the attempt that just failed, starting at 1.
 * @param now current time in ms (for HTTP-date Retry-After).
 * @param random a number in [0, 1) for jitter.
 */
export function decideRetry(
  status: number | undefined,
  retryAfter: string | null | undefined,
  attempt: number,
  options: RetryPolicyOptions = DEFAULT_RETRY_POLICY,
  now: number = Date.now(),
  random: number = Math.random(),
): RetryDecision {
  if (status !== undefined && !TRANSIENT.has(status)) {
    return { retry: false, reason: `HTTP ${status} is not retryable` };
  }
  if (attempt >= options.maxAttempts) {
    return { retry: false, reason: `${status === undefined ? 'network error' : `HTTP ${status}`} persisted after ${attempt} attempts` };
  }
  const told = parseRetryAfter(retryAfter, now);
  // Exponential backoff with ±20 % jitter when the service does not say how long to wait.
  const backoff = options.baseDelayMs * 2 ** (attempt - 1) * (0.8 + 0.4 * random);
  return { retry: true, delayMs: Math.round(Math.min(told ?? backoff, options.maxDelayMs)) };
}

/** Retry-After as milliseconds to wait: delta-seconds or an HTTP date; null when absent or bad. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | null {
  if (value == null || value.trim() === '') return null;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
