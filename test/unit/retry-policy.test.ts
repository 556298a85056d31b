import { describe, expect, it } from 'vitest';
import { decideRetry, parseRetryAfter, type RetryPolicyOptions } from '../../src/ship/retry-policy.js';

const policy: RetryPolicyOptions = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 30_000 };
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('decideRetry', () => {
  const cases: { name: string; status: number | undefined; retryAfter: string | null; attempt: number; random?: number; expected: ReturnType<typeof decideRetry> }[] = [
    { name: '429 honours Retry-After seconds', status: 429, retryAfter: '7', attempt: 1, expected: { retry: true, delayMs: 7000 } },
    { name: '429 honours fractional Retry-After', status: 429, retryAfter: '0.25', attempt: 2, expected: { retry: true, delayMs: 250 } },
    { name: '503 honours an HTTP-date Retry-After', status: 503, retryAfter: new Date(NOW + 12_000).toUTCString(), attempt: 1, expected: { retry: true, delayMs: 12_000 } },
    { name: 'Retry-After is capped', status: 429, retryAfter: '3600', attempt: 1, expected: { retry: true, delayMs: 30_000 } },
    { name: '500 without Retry-After backs off from the base', status: 500, retryAfter: null, attempt: 1, random: 0.5, expected: { retry: true, delayMs: 1000 } },
    { name: 'backoff doubles per attempt', status: 502, retryAfter: null, attempt: 3, random: 0.5, expected: { retry: true, delayMs: 4000 } },
    { name: 'jitter stays within -20 %', status: 504, retryAfter: null, attempt: 1, random: 0, expected: { retry: true, delayMs: 800 } },
    { name: 'a network error (no status) is transient', status: undefined, retryAfter: null, attempt: 1, random: 0.5, expected: { retry: true, delayMs: 1000 } },
    { name: '408 is transient', status: 408, retryAfter: null, attempt: 1, random: 0.5, expected: { retry: true, delayMs: 1000 } },
    { name: 'gives up after maxAttempts', status: 429, retryAfter: '1', attempt: 4, expected: { retry: false, reason: 'HTTP 429 persisted after 4 attempts' } },
    { name: '400 is not retried', status: 400, retryAfter: null, attempt: 1, expected: { retry: false, reason: 'HTTP 400 is not retryable' } },
    { name: '413 is not retried (the sink splits instead)', status: 413, retryAfter: '5', attempt: 1, expected: { retry: false, reason: 'HTTP 413 is not retryable' } },
    { name: 'network errors also give up', status: undefined, retryAfter: null, attempt: 4, expected: { retry: false, reason: 'network error persisted after 4 attempts' } },
  ];
  it.each(cases)('$name', ({ status, retryAfter, attempt, random, expected }) => {
    expect(decideRetry(status, retryAfter, attempt, policy, NOW, random ?? 0.5)).toEqual(expected);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    { value: undefined, expected: null },
    { value: '', expected: null },
    { value: 'soon', expected: null },
    { value: ' 3 ', expected: 3000 },
    { value: new Date(NOW - 5000).toUTCString(), expected: 0 },
  ])('$value → $expected', ({ value, expected }) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});
