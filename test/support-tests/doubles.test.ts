// The test doubles hold the real services' contracts: proven with the real SDK clients.
import { request } from 'node:https';
import { gzipSync } from 'node:zlib';
import { ManagedIdentityCredential } from '@azure/identity';
import { isAggregateLogsUploadError } from '@azure/monitor-ingestion';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsIngestionClient } from '../../src/config/azure-clients.js';
import { emptyRow, STREAM_NAME, type PgAuditRow } from '../../src/schema.js';
import { LogsIngestionSink } from '../../src/ship/logs-ingestion-sink.js';
import { startStack, TEST_RULE_ID, type Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

const row = (i: number, extra: Partial<PgAuditRow> = {}): PgAuditRow => ({
  ...emptyRow(), TimeGenerated: '2026-11-22T10:00:00.000Z', EventTime: '2026-11-22T10:00:00.000Z', EventType: 'AUDIT', StatementId: i, Parameters: ['a', null], RecordId: `id-${i}`, ...extra,
});

async function rawPost(path: string, body: Buffer, headers: Record<string, string>): Promise<number> {
  const url = new URL(path, stack.ingestion.endpoint);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca: stack.ingestion.ca, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function token(): Promise<string> {
  return (await new ManagedIdentityCredential().getToken('https://monitor.azure.com//.default')).token;
}

describe('managed identity endpoint', () => {
  it('serves tokens to the real ManagedIdentityCredential, with the client id of a user-assigned identity', async () => {
    const t = await new ManagedIdentityCredential({ clientId: 'aaaaaaaa-0000-0000-0000-000000000001' }).getToken('https://monitor.azure.com//.default');
    expect(stack.identity.validToken(t.token)).toBe(true);
    expect(stack.identity.requests.at(-1)).toEqual({ resource: 'https://monitor.azure.com/', clientId: 'aaaaaaaa-0000-0000-0000-000000000001' });
  });

  it('refuses a request without the identity header', async () => {
    const res = await fetch(`${process.env.IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=x`);
    expect(res.status).toBe(401);
  });
});

describe('Logs Ingestion endpoint with the real client', () => {
  const client = () => logsIngestionClient(stack.ingestion.endpoint, new ManagedIdentityCredential(), { tlsOptions: { ca: stack.ingestion.ca } });

  it('accepts schema rows, gzipped, with a bearer token from the identity endpoint', async () => {
    const before = stack.ingestion.accepted.length;
    const rows = [row(1), row(2, { Statement: 'SELECT 1', Redacted: false, ClientPort: 5432 })];
    await client().upload(TEST_RULE_ID, STREAM_NAME, rows);
    expect(stack.ingestion.accepted.slice(before)).toEqual(JSON.parse(JSON.stringify(rows)));
    expect(stack.ingestion.requests.at(-1)).toMatchObject({ status: 204, gzip: true, rows: 2 });
  });

  it.each([
    { name: 'an unknown column', rows: [{ ...row(1), Colour: 'red' }], status: 400 },
    { name: 'a wrong type', rows: [{ ...row(1), StatementId: 'one' }], status: 400 },
    { name: 'a bad datetime', rows: [{ ...row(1), TimeGenerated: 'yesterday' }], status: 400 },
  ])('refuses $name with $status and a reason', async ({ rows, status }) => {
    const err: unknown = await client().upload(TEST_RULE_ID, STREAM_NAME, rows).then(() => null, (e: unknown) => e);
    expect(isAggregateLogsUploadError(err)).toBe(true);
    const cause = (err as { errors: { cause: { statusCode: number; code: string; message: string } }[] }).errors[0]!.cause;
    expect(cause.statusCode).toBe(status);
    expect(cause.code).toBe('InvalidPayload');
    expect(cause.message).toMatch(/^element 0: /);
  });

  it('refuses a wrong DCR id (404) and a wrong stream (404)', async () => {
    for (const [rule, stream] of [['dcr-ffffffffffffffffffffffffffffffff', STREAM_NAME], [TEST_RULE_ID, 'Custom-Other_CL']] as const) {
      const err: unknown = await client().upload(rule, stream, [row(1)]).then(() => null, (e: unknown) => e);
      expect((err as { errors: { cause: { statusCode: number } }[] }).errors[0]!.cause.statusCode).toBe(404);
    }
  });

  it('enforces api-version, bearer token and the 1 MB limit on the wire', async () => {
    const path = `/dataCollectionRules/${TEST_RULE_ID}/streams/${STREAM_NAME}`;
    const auth = { authorization: `Bearer ${await token()}` };
    const small = Buffer.from(JSON.stringify([row(1)]));
    expect(await rawPost(`${path}?api-version=2021-01-01`, small, auth)).toBe(400);
    expect(await rawPost(`${path}?api-version=2023-01-01`, small, { authorization: 'Bearer forged' })).toBe(401);
    expect(await rawPost(`${path}?api-version=2023-01-01`, small, {})).toBe(401);
    const big = gzipSync(Buffer.from(JSON.stringify(Array.from({ length: 400 }, (_, i) => row(i, { Statement: 'x'.repeat(3000) })))));
    expect(await rawPost(`${path}?api-version=2023-01-01`, big, { ...auth, 'content-encoding': 'gzip' })).toBe(413);
    expect(await rawPost(`${path}?api-version=2023-01-01`, Buffer.from('{"not":"an array"}'), auth)).toBe(400);
    expect(await rawPost(`${path}?api-version=2023-01-01`, small, auth)).toBe(204);
  });

  it('injects 429 with Retry-After, which surfaces to the caller as the SDK shapes it', async () => {
    stack.ingestion.inject({ status: 429, retryAfter: '3' });
    const err: unknown = await client().upload(TEST_RULE_ID, STREAM_NAME, [row(9)]).then(() => null, (e: unknown) => e);
    const cause = (err as { errors: { cause: { statusCode: number; response: { headers: { get(n: string): string } } } }[] }).errors[0]!.cause;
    expect(cause.statusCode).toBe(429);
    expect(cause.response.headers.get('retry-after')).toBe('3');
  });

  it('the sink retries an injected 429 and a slow 500, then delivers every row exactly once', async () => {
    stack.ingestion.inject({ status: 429, retryAfter: '0.2' }, { status: 500, delayMs: 300 });
    const sink = new LogsIngestionSink(client(), TEST_RULE_ID, STREAM_NAME, { retry: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 1000 } });
    const before = stack.ingestion.accepted.length;
    const result = await sink.send([row(100), row(101), row(102)]);
    expect(result).toEqual({ accepted: 3, failed: [] });
    expect(sink.counters.retries).toBe(2);
    expect(stack.ingestion.accepted.slice(before).map((r) => r.RecordId)).toEqual(['id-100', 'id-101', 'id-102']);
  });

  it('the sink hands back rows of a permanent 400 with the response body', async () => {
    stack.ingestion.inject({ status: 400, body: 'poison row' });
    const sink = new LogsIngestionSink(client(), TEST_RULE_ID, STREAM_NAME);
    const result = await sink.send([row(200)]);
    expect(result.accepted).toBe(0);
    expect(result.failed[0]).toMatchObject({ status: 400, attempts: 1 });
    expect(result.failed[0]?.body).toContain('poison row');
  });
});
