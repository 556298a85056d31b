// The one upload decision, table-driven: every outcome of an attempt and what follows it.
import { runClock } from '../../src/ship/run-clock.js';
import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryDelay, type RetryPolicy } from '../../src/ship/retry-policy.js';
import { decideUpload, type AttemptContext, type UploadDecision, type UploadOutcome } from '../../src/ship/upload-decision.js';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 30_000, retryStatuses: [408, 429] };
const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const refused = (status: number, retryAfter: string | null = null): UploadOutcome => ({ kind: 'refused', status, retryAfter, message: `HTTP ${status}` });
const ctx = (over: Partial<AttemptContext> = {}): AttemptContext => ({ attempt: 1, rows: 10, now: NOW, deadline: null, random: 0.5, ...over });

type Expected = UploadDecision['action'] | { action: 'Retry'; delayMs: number } | { action: 'Stop'; code: string };

const cases: { name: string; outcome: UploadOutcome; ctx?: Partial<AttemptContext>; expected: Expected }[] = [
  { name: 'accepted', outcome: { kind: 'accepted' }, expected: 'Ok' },
  { name: '429 honours Retry-After seconds', outcome: refused(429, '7'), expected: { action: 'Retry', delayMs: 7000 } },
  { name: '429 honours fractional Retry-After', outcome: refused(429, '0.25'), ctx: { attempt: 2 }, expected: { action: 'Retry', delayMs: 250 } },
  { name: '503 honours an HTTP-date Retry-After', outcome: refused(503, new Date(NOW + 12_000).toUTCString()), expected: { action: 'Retry', delayMs: 12_000 } },
  { name: 'Retry-After is capped', outcome: refused(429, '3600'), expected: { action: 'Retry', delayMs: 30_000 } },
  { name: '500 without Retry-After backs off from the base', outcome: refused(500), expected: { action: 'Retry', delayMs: 1000 } },
  { name: 'backoff doubles per attempt', outcome: refused(502), ctx: { attempt: 3 }, expected: { action: 'Retry', delayMs: 4000 } },
  { name: 'jitter stays within -20 %', outcome: refused(504), ctx: { random: 0 }, expected: { action: 'Retry', delayMs: 800 } },
  { name: 'any 5xx is transient', outcome: refused(507), expected: { action: 'Retry', delayMs: 1000 } },
  { name: '408 is transient', outcome: refused(408), expected: { action: 'Retry', delayMs: 1000 } },
  { name: 'a network error is transient', outcome: { kind: 'network', message: 'ECONNREFUSED' }, expected: { action: 'Retry', delayMs: 1000 } },
  { name: 'a timed-out attempt is transient', outcome: { kind: 'timeout', message: 'no answer' }, expected: { action: 'Retry', delayMs: 1000 } },
  { name: 'no token is retried (the identity endpoint may be starting)', outcome: { kind: 'no-token', message: 'MSI unavailable' }, expected: { action: 'Retry', delayMs: 1000 } },
  { name: '5xx past the attempts stops the run (not a dead letter)', outcome: refused(500), ctx: { attempt: 4 }, expected: { action: 'Stop', code: 'IngestionUnavailable' } },
  { name: 'a network error past the attempts stops', outcome: { kind: 'network', message: 'ENOTFOUND' }, ctx: { attempt: 4 }, expected: { action: 'Stop', code: 'IngestionUnavailable' } },
  { name: 'timeouts past the attempts stop', outcome: { kind: 'timeout', message: 'no answer' }, ctx: { attempt: 4 }, expected: { action: 'Stop', code: 'IngestionUnavailable' } },
  { name: 'no token past the attempts stops', outcome: { kind: 'no-token', message: 'MSI unavailable' }, ctx: { attempt: 4 }, expected: { action: 'Stop', code: 'IngestionNoToken' } },
  { name: 'a retry that would wait past the deadline stops', outcome: refused(429, '20'), ctx: { deadline: NOW + 5000 }, expected: { action: 'Stop', code: 'RunBudgetSpent' } },
  { name: 'a retry within the deadline waits', outcome: refused(429, '2'), ctx: { deadline: NOW + 5000 }, expected: { action: 'Retry', delayMs: 2000 } },
  { name: '401 stops at once', outcome: refused(401), expected: { action: 'Stop', code: 'IngestionUnauthorized' } },
  { name: '403 stops at once', outcome: refused(403), expected: { action: 'Stop', code: 'IngestionForbidden' } },
  { name: '404 stops at once', outcome: refused(404), expected: { action: 'Stop', code: 'IngestionNotFound' } },
  { name: '413 with several rows splits', outcome: refused(413, '5'), expected: 'Split' },
  { name: '413 of a single row is dead-lettered', outcome: refused(413), ctx: { rows: 1 }, expected: 'DeadLetter' },
  { name: '400 is dead-lettered at once', outcome: refused(400), expected: 'DeadLetter' },
  { name: '422 is dead-lettered at once', outcome: refused(422), expected: 'DeadLetter' },
];

describe('decideUpload', () => {
  it.each(cases)('$name', ({ outcome, ctx: over, expected }) => {
    const d = decideUpload(outcome, ctx(over), policy);
    if (typeof expected === 'string') expect(d.action).toBe(expected);
    else expect(d).toMatchObject(expected);
  });

  it('every Stop says that nothing was dead-lettered and how to fix it', () => {
    for (const c of cases) {
      const d = decideUpload(c.outcome, ctx(c.ctx), policy);
      if (d.action !== 'Stop') continue;
      expect(d.hint, c.name).toMatch(/nothing was dead-lettered/);
      expect(d.reason.length, c.name).toBeGreaterThan(10);
    }
  });

  it('403 names the role the identity needs', () => {
    const d = decideUpload(refused(403), ctx(), policy);
    expect(d.action === 'Stop' && d.hint).toMatch(/Monitoring Metrics Publisher on the DCR/);
  });
});

describe('retry timing', () => {
  it.each([
    { value: undefined, expected: null },
    { value: '', expected: null },
    { value: 'soon', expected: null },
    { value: ' 3 ', expected: 3000 },
    { value: new Date(NOW - 5000).toUTCString(), expected: 0 },
  ])('parseRetryAfter($value) → $expected', ({ value, expected }) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it('retryDelay never exceeds maxDelayMs', () => {
    for (let attempt = 1; attempt < 20; attempt++) expect(retryDelay(policy, attempt, null, NOW, 0.99)).toBeLessThanOrEqual(policy.maxDelayMs);
  });
});

describe('the run clock', () => {
  it.for([
    { name: 'no budget: nothing bounds the run', budgetMs: 0, timeoutMs: 60_000, expected: { budgetEnd: null, rowsEndBy: null, recordsEndBy: null } },
    // The defaults: 8 min budget, 60 s attempts; host.json's functionTimeout is 600 s.
    { name: 'the defaults', budgetMs: 480_000, timeoutMs: 60_000, expected: { budgetEnd: 480_000, rowsEndBy: 525_000, recordsEndBy: 540_000 } },
    { name: 'a short timeout keeps half of it for the run records', budgetMs: 1_500, timeoutMs: 600, expected: { budgetEnd: 1_500, rowsEndBy: 1_800, recordsEndBy: 2_100 } },
  ])('$name', ({ budgetMs, timeoutMs, expected }) => {
    expect(runClock(0, budgetMs, timeoutMs)).toEqual(expected);
  });
});
