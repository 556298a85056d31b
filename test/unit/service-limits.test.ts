// The service limits (src/service-limits.ts) are written once, each with its source, and what the
// code and the local Logs Ingestion endpoint do follows from them: requests below the call size,
// fields cut where the service would cut them silently, queue messages that fit, and a function
// timeout that the run budget fits and a scale-in does not cut short.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config/settings-model.js';
import { capText, MAX_STATEMENT_CAP } from '../../src/enrich/cap.js';
import { readServerMessage } from '../../src/ship/server-message.js';
import { encodeMessage, messageWithinLimit } from '../../src/ship/server-queue.js';
import { MAX_REQUEST_BYTES } from '../../src/ship/serialized-rows.js';
import { FLEX_CONSUMPTION_TIMEOUT, LOGS_INGESTION_LIMITS, QUEUE_MESSAGE_BYTES, TIME_GENERATED_WINDOW, type SourcedLimit } from '../../src/service-limits.js';
import { MAX_BODY_BYTES } from '../support/logs-ingestion-endpoint.js';

const root = path.resolve(import.meta.dirname, '../..');
const ALL: Record<string, SourcedLimit<number | null>> = {
  ...Object.fromEntries(Object.entries(LOGS_INGESTION_LIMITS).map(([k, v]) => [`logsIngestion.${k}`, v])),
  ...Object.fromEntries(Object.entries(TIME_GENERATED_WINDOW).map(([k, v]) => [`timeGenerated.${k}`, v])),
  ...Object.fromEntries(Object.entries(FLEX_CONSUMPTION_TIMEOUT).map(([k, v]) => [`flexTimeout.${k}`, v])),
  queueMessageBytes: QUEUE_MESSAGE_BYTES,
};
const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

describe('service limits', () => {
  it.for(Object.entries(ALL))('%s names the page it was read from and quotes it', ([, limit]) => {
    expect(limit.source).toMatch(/^(MicrosoftDocs\/azure-(monitor-)?docs (articles|includes)\/[\w/.-]+\.md|Azure\/azure-sdk-for-net)/);
    expect(limit.says.length).toBeGreaterThan(10);
  });

  it('requests stay below the documented call size, and the local endpoint refuses what the service refuses', () => {
    expect(MAX_REQUEST_BYTES).toBeLessThan(LOGS_INGESTION_LIMITS.callBytes.value);
    expect(LOGS_INGESTION_LIMITS.callBytes.value).toBeLessThanOrEqual(LOGS_INGESTION_LIMITS.callBytesEnforced.value);
    expect(MAX_BODY_BYTES).toBe(LOGS_INGESTION_LIMITS.callBytesEnforced.value);
  });

  it("the run budget and its last upload end before host.json's functionTimeout, which a scale-in does not cut short", () => {
    const host = JSON.parse(readFileSync(path.join(root, 'host.json'), 'utf8')) as { functionTimeout?: string };
    // Without functionTimeout a run could take the plan's default; set, it bounds every run.
    expect(host.functionTimeout, 'host.json sets functionTimeout').toMatch(/^\d\d:\d\d:\d\d$/);
    const [h, m, s] = host.functionTimeout!.split(':').map(Number) as [number, number, number];
    const timeoutMinutes = h * 60 + m + s / 60;
    expect(timeoutMinutes).toBeLessThanOrEqual(FLEX_CONSUMPTION_TIMEOUT.defaultMinutes.value);
    expect(timeoutMinutes).toBeLessThanOrEqual(FLEX_CONSUMPTION_TIMEOUT.platformUpdateGraceMinutes.value);
    const budget = Number(SETTINGS.find((x) => x.key === 'runBudgetMinutes')!.default);
    const attemptSeconds = Number(SETTINGS.find((x) => x.key === 'uploadTimeoutSeconds')!.default);
    expect(budget * 60 + attemptSeconds).toBeLessThan(timeoutMinutes * 60);
  });
});

describe('field values within the service field size', () => {
  const field = LOGS_INGESTION_LIMITS.fieldBytes.value;
  it.for([
    { name: 'ASCII under the cap', text: 'x'.repeat(32_000), cap: 32_000, truncated: false },
    { name: 'ASCII at the largest cap', text: 'x'.repeat(MAX_STATEMENT_CAP), cap: MAX_STATEMENT_CAP, truncated: false },
    { name: 'three-byte characters under the cap but over the field size', text: '語'.repeat(30_000), cap: 32_000, truncated: true },
    { name: 'four-byte characters (surrogate pairs) over the field size', text: '😀'.repeat(20_000), cap: 60_000, truncated: true },
    { name: 'two-byte characters just under the field size', text: 'é'.repeat(field / 2), cap: 60_000, truncated: false },
    { name: 'two-byte characters one over the field size', text: 'é'.repeat(field / 2) + 'é', cap: 60_000, truncated: true },
  ])('$name', ({ text, cap, truncated }) => {
    const r = capText(text, cap);
    expect(r.truncated).toBe(truncated);
    expect(r.length).toBe(text.length);
    expect(utf8(r.text)).toBeLessThanOrEqual(field);
    expect(text.startsWith(r.text)).toBe(true); // a prefix: never a half character
    expect(r.text).not.toContain('\uFFFD');
    if (truncated) expect(utf8(r.text)).toBeGreaterThan(field - 4); // cut at the limit, not far below it
  });
});

describe('queue messages within the queue message size', () => {
  const server = 'resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/PG1/';
  const blob = (i: number): string => `${server}y=2026/m=12/d=${String(1 + (i % 28)).padStart(2, '0')}/h=${String(i % 24).padStart(2, '0')}/m=00/PT1H.json`;
  const decode = (text: string): unknown => JSON.parse(Buffer.from(text, 'base64').toString('utf8'));

  it.for([
    { name: 'one named blob', blobs: 1, named: true },
    { name: 'every hour of a two-day lookback', blobs: 48, named: true },
    { name: 'more blobs than a message holds', blobs: 400, named: false },
  ])('$name', ({ blobs, named }) => {
    const m = { serverPath: server, reason: 'blobCreated' as const, blobs: Array.from({ length: blobs }, (_, i) => blob(i)) };
    const text = messageWithinLimit(m, 'base64', new Date('2026-12-08T01:00:00Z'));
    expect(utf8(text)).toBeLessThanOrEqual(QUEUE_MESSAGE_BYTES.value);
    expect(utf8(encodeMessage(JSON.stringify(m), 'base64')) > QUEUE_MESSAGE_BYTES.value).toBe(!named);
    const read = readServerMessage(decode(text));
    expect(read.ok).toBe(true);
    // Without the list the server is planned by listing, which finds every blob the list named.
    if (read.ok) expect(read.message.blobs).toEqual(named ? m.blobs : undefined);
  });
});
