// The Logs Ingestion double holds the service's contract against the real @azure/monitor-ingestion
// client (built by src/config/azure-clients.ts) with a real credential from the managed-identity
// double; then the product's LogsIngestionSink runs against it.
import { Agent } from 'node:https';
import { gzipSync } from 'node:zlib';
import { ManagedIdentityCredential } from '@azure/identity';
import { isAggregateLogsUploadError, type LogsIngestionClient, type LogsIngestionClientOptions } from '@azure/monitor-ingestion';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { logsIngestionClient } from '../../src/ship/ship-clients.js';
import { emptyRow, STREAM_NAME, type PgAuditRow } from '../../src/schema.js';
import { IngestionError } from '../../src/errors/ingestion-error.js';
import { pipelineTransport, type IngestionTransport } from '../../src/ship/ingestion-transport.js';
import { defaultOf } from '../../src/config/settings-model.js';
import { LogsIngestionSink } from '../../src/ship/logs-ingestion-sink.js';
import { retryPolicy } from '../../src/ship/retry-policy.js';
import { serializeRow } from '../../src/ship/serialized-rows.js';
import { describeResponse, describeUploadError } from '../../src/ship/upload-error-info.js';
import { postRaw, startIngestionEndpoint, trustingClientOptions, violationOf, type IngestionHandle } from '../support/logs-ingestion-endpoint.js';
import { startIdentityEndpoint, useManagedIdentityEnv, type IdentityHandle } from '../support/managed-identity-endpoint.js';

const RULE = 'dcr-00112233445566778899aabbccddeeff';
/** The sink as a run with the default settings builds it. */
const RUN_DEFAULTS = { retry: retryPolicy(Number(defaultOf('uploadAttempts'))), uploadTimeoutMs: Number(defaultOf('uploadTimeoutSeconds')) * 1000 };
const SCOPE = 'https://monitor.azure.com//.default';

let identity: IdentityHandle;
let ingestion: IngestionHandle;
let restoreEnv: () => void;
const presented: string[] = [];
beforeAll(async () => {
  // Tokens of 240 s: MSAL does not cache them (< its 300 s renewal offset), so a new client gets
  // a new token and revocation can be tested without poisoning the rest of the file.
  identity = await startIdentityEndpoint({ lifetimeSeconds: 240 });
  restoreEnv = useManagedIdentityEnv(identity);
  ingestion = await startIngestionEndpoint({
    ruleId: RULE,
    stream: STREAM_NAME,
    validateToken: (t) => {
      presented.push(t);
      return identity.validToken(t);
    },
  });
});
afterAll(async () => {
  restoreEnv?.();
  await Promise.all([identity?.close(), ingestion?.close()]);
});
beforeEach(() => {
  ingestion.reset();
  ingestion.setOnRequest(undefined);
});

/** The wiring a test uses: real credential, the product's client factory, trust for the double. */
const client = (extra: LogsIngestionClientOptions = {}): LogsIngestionClient =>
  logsIngestionClient(ingestion.endpoint, new ManagedIdentityCredential(), { ...trustingClientOptions(ingestion), ...extra });

/** What the sink sends through: the same client's pipeline. */
const transport = (): IngestionTransport => pipelineTransport(client(), ingestion.endpoint);

const row = (i: number, extra: Partial<PgAuditRow> = {}): PgAuditRow => ({
  ...emptyRow(),
  TimeGenerated: '2026-11-22T10:00:00.123Z',
  EventTime: '2026-11-22T10:00:00.123Z',
  EventType: 'AUDIT',
  ServerName: 'pg-1',
  ProcessId: 4242,
  StatementId: i,
  Statement: `SELECT ${i}`,
  StatementTruncated: false,
  Parameters: ['a', null, 'c,d'],
  RecordId: `id-${i}`,
  ...extra,
});

interface Cause {
  name: string;
  statusCode?: number;
  code?: string;
  message: string;
  response?: { status: number; headers: { get(n: string): string | undefined }; bodyAsText?: string };
}
/** Uploads and returns the rejection (null when it resolved). */
async function failure(p: Promise<void>): Promise<{ errors: { cause: Cause; failedLogs: Record<string, unknown>[] }[]; message: string } | null> {
  const err: unknown = await p.then(() => null, (e: unknown) => e);
  if (err === null) return null;
  expect(isAggregateLogsUploadError(err)).toBe(true);
  return err as never;
}

const causeOf = (e: Awaited<ReturnType<typeof failure>>): Cause => e!.errors[0]!.cause;

describe('Logs Ingestion double with the real client', () => {
  it('accepts schema rows gzipped with a bearer token the identity double issued; rows arrive unchanged', async () => {
    const rows = [row(1), row(2, { Statement: 'UPDATE t SET "ü" = 1', ClientPort: 5432, SessionLine: 2 ** 40, Redacted: true, Detail: 'x\ny' })];
    await client().upload(RULE, STREAM_NAME, rows);
    expect(ingestion.accepted).toEqual(rows);
    expect(Object.keys(ingestion.accepted[0]!)).toEqual(Object.keys(emptyRow()));
    expect(ingestion.requests).toHaveLength(1);
    expect(ingestion.requests[0]).toMatchObject({ status: 204, gzip: true, rows: 2, bytes: Buffer.byteLength(JSON.stringify(rows)) });
    expect(ingestion.requests[0]!.wireBytes).toBeLessThan(ingestion.requests[0]!.bytes);
    const token = presented.at(-1)!;
    expect(identity.issuedTokens.map((t) => t.token)).toContain(token);
    // The SDK asks for scope `https://monitor.azure.com/.default` (audience + "/.default"), so the
    // resource is without the trailing slash that `https://monitor.azure.com//.default` gives.
    expect(identity.issuedTokens.find((t) => t.token === token)?.resource).toBe('https://monitor.azure.com');
  });

  it('trusts the self-signed certificate only through the client options (tlsOptions, or an https.Agent)', async () => {
    const untrusted = await failure(logsIngestionClient(ingestion.endpoint, new ManagedIdentityCredential()).upload(RULE, STREAM_NAME, [row(1)]));
    expect(causeOf(untrusted).code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    expect(ingestion.requests).toHaveLength(0);
    await logsIngestionClient(ingestion.endpoint, new ManagedIdentityCredential(), { agent: new Agent({ ca: ingestion.ca }) }).upload(RULE, STREAM_NAME, [row(2)]);
    expect(ingestion.accepted.map((r) => r.RecordId)).toEqual(['id-2']);
  });

  it.each([
    { name: 'an unknown column', bad: { Colour: 'red' }, message: /column 'Colour' is not declared/ },
    { name: 'a string in a long column', bad: { StatementId: 'one' }, message: /'StatementId'.*is not a long/ },
    { name: 'an int out of range', bad: { ProcessId: 2 ** 31 }, message: /'ProcessId'.*is not a int/ },
    { name: 'a fraction in an int column', bad: { ClientPort: 1.5 }, message: /'ClientPort'.*is not a int/ },
    { name: 'a string in a boolean column', bad: { Redacted: 'yes' }, message: /'Redacted'.*is not a boolean/ },
    { name: 'a datetime that is not ISO-8601', bad: { TimeGenerated: '22/11/2026 10:00' }, message: /'TimeGenerated'.*is not a dateTime/ },
    { name: 'a number in a string column', bad: { Statement: 1 }, message: /'Statement'.*is not a string/ },
  ])('refuses $name with 400 and the service error body', async ({ bad, message }) => {
    const e = await failure(client().upload(RULE, STREAM_NAME, [row(1), { ...row(2), ...bad }]));
    const cause = causeOf(e);
    expect(cause.name).toBe('RestError');
    expect(cause.statusCode).toBe(400);
    expect(cause.code).toBe('InvalidPayload');
    expect(cause.message).toMatch(/^element 1: /);
    expect(cause.message).toMatch(message);
    // The same request through the client's pipeline (as the sink sends): the body for the dead letter.
    const res = await transport().post(RULE, STREAM_NAME, JSON.stringify([row(1), { ...row(2), ...bad }]), AbortSignal.timeout(10_000));
    expect(JSON.parse(describeResponse(res)!.body!)).toEqual({ error: { code: 'InvalidPayload', message: cause.message } });
    expect(describeResponse(res)!.outcome).toMatchObject({ kind: 'refused', status: 400, message: `InvalidPayload: ${cause.message}` });
    expect(ingestion.accepted).toHaveLength(0);
  });

  it('takes null in every column, any JSON in a dynamic column', async () => {
    await client().upload(RULE, STREAM_NAME, [emptyRow(), row(3, { Parameters: { nested: [1, 'x', null, true] } })]);
    expect(ingestion.accepted).toHaveLength(2);
  });

  it('answers 404 for an unknown DCR immutable id or stream, and 400 for a wrong api-version', async () => {
    const wrongRule = await failure(client().upload('dcr-ffffffffffffffffffffffffffffffff', STREAM_NAME, [row(1)]));
    expect(causeOf(wrongRule)).toMatchObject({ statusCode: 404, code: 'DataCollectionRuleNotFound' });
    const wrongStream = await failure(client().upload(RULE, 'Custom-Other_CL', [row(1)]));
    expect(causeOf(wrongStream)).toMatchObject({ statusCode: 404, code: 'InvalidStream' });
    const wrongVersion = await failure(client({ apiVersion: '2021-11-01-preview' }).upload(RULE, STREAM_NAME, [row(1)]));
    expect(causeOf(wrongVersion)).toMatchObject({ statusCode: 400, code: 'InvalidApiVersion' });
    const token = (await new ManagedIdentityCredential().getToken(SCOPE)).token;
    const noVersion = await postRaw(ingestion, ingestion.path({ apiVersion: null }), JSON.stringify([row(1)]), { authorization: `Bearer ${token}` });
    expect(noVersion.status).toBe(400);
    expect(ingestion.accepted).toHaveLength(0);
  });

  it('answers 401 without a bearer token, with a forged one, and with a revoked one (until a new client gets a new token)', async () => {
    const body = JSON.stringify([row(1)]);
    const none = await postRaw(ingestion, ingestion.path(), body);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ error: { code: 'InvalidToken' } });
    expect((await postRaw(ingestion, ingestion.path(), body, { authorization: 'Bearer forged' })).status).toBe(401);
    expect((await postRaw(ingestion, ingestion.path(), body, { authorization: 'Basic abc' })).status).toBe(401);
    const c = client();
    await c.upload(RULE, STREAM_NAME, [row(1)]);
    identity.revokeAll();
    const revoked = await failure(c.upload(RULE, STREAM_NAME, [row(2)]));
    expect(causeOf(revoked)).toMatchObject({ statusCode: 401, code: 'InvalidToken' });
    await client().upload(RULE, STREAM_NAME, [row(3)]);
    expect(ingestion.accepted.map((r) => r.RecordId)).toEqual(['id-1', 'id-3']);
  });

  it('answers 413 over 1,048,576 bytes of JSON (plain, or gzipped small on the wire) and takes plain JSON under it', async () => {
    const auth = { authorization: `Bearer ${(await new ManagedIdentityCredential().getToken(SCOPE)).token}` };
    const big = Buffer.from(JSON.stringify(Array.from({ length: 350 }, (_, i) => row(i, { Statement: 'x'.repeat(3000) }))));
    expect(big.length).toBeGreaterThan(1_048_576);
    const plain = await postRaw(ingestion, ingestion.path(), big, auth);
    expect(plain.status).toBe(413);
    expect(JSON.parse(plain.body)).toEqual({ error: { code: 'ContentLengthLimitExceeded', message: `Maximum allowed content length: 1048576 bytes (1 MB). Provided content length: ${big.length} bytes.` } });
    const zipped = gzipSync(big);
    expect(zipped.length).toBeLessThan(100_000);
    expect((await postRaw(ingestion, ingestion.path(), zipped, { ...auth, 'content-encoding': 'gzip' })).status).toBe(413);
    const fits = Buffer.from(JSON.stringify(Array.from({ length: 250 }, (_, i) => row(i, { Statement: 'x'.repeat(3000) }))));
    expect(fits.length).toBeLessThan(1_048_576);
    expect((await postRaw(ingestion, ingestion.path(), fits, auth)).status).toBe(204);
    expect((await postRaw(ingestion, ingestion.path(), Buffer.from('not gzip'), { ...auth, 'content-encoding': 'gzip' })).status).toBe(400);
    expect((await postRaw(ingestion, ingestion.path(), '{"not":"an array"}', auth)).status).toBe(400);
    expect((await postRaw(ingestion, ingestion.path(), '[1,2]', auth)).status).toBe(400);
    expect(ingestion.requests.map((r) => [r.status, r.gzip])).toEqual([[413, false], [413, true], [204, false], [400, true], [400, false], [400, false]]);
    expect(ingestion.accepted).toHaveLength(250);
  });

  it("with measure 'wire' the limit applies to the request as sent (the service's observed check)", async () => {
    const wire = await startIngestionEndpoint({ ruleId: RULE, stream: STREAM_NAME, validateToken: (t) => identity.validToken(t), measure: 'wire' });
    try {
      const auth = { authorization: `Bearer ${(await new ManagedIdentityCredential().getToken(SCOPE)).token}` };
      const big = Buffer.from(JSON.stringify(Array.from({ length: 350 }, (_, i) => row(i, { Statement: 'x'.repeat(3000) }))));
      expect((await postRaw(wire, wire.path(), gzipSync(big), { ...auth, 'content-encoding': 'gzip' })).status).toBe(204);
      expect((await postRaw(wire, wire.path(), big, auth)).status).toBe(413);
      expect(wire.requests.map((r) => [r.status, r.bytes])).toEqual([[204, big.length], [413, big.length]]);
    } finally {
      await wire.close();
    }
  });

  it('checks the other column types of custom tables (real, guid) when a stream declares them', () => {
    const columns = [{ name: 'Ratio', type: 'real' }, { name: 'Id', type: 'guid' }, { name: 'At', type: 'dateTime' }] as const;
    expect(violationOf([{ Ratio: 0.5, Id: '3f2504e0-4f89-11d3-9a0c-0305e82c3301', At: '2026-11-22T10:00:00+01:00' }], columns)).toBeNull();
    expect(violationOf([{ Ratio: 1 }, { Id: null }], columns)).toBeNull();
    expect(violationOf([{ Ratio: '0.5' }], columns)).toMatch(/'Ratio'.*is not a real/);
    expect(violationOf([{ Id: 'not-a-guid' }], columns)).toMatch(/'Id'.*is not a guid/);
    expect(violationOf([{ At: '2026-11-22' }], columns)).toMatch(/'At'.*is not a dateTime/);
    expect(violationOf({ Ratio: 1 }, columns)).toBe('the body must be a JSON array');
    expect(violationOf([[1]], columns)).toBe('element 0 is not an object');
  });

  it('the SDK splits a large upload into requests under the limit', async () => {
    const rows = Array.from({ length: 800 }, (_, i) => row(i, { Statement: 'y'.repeat(3000) }));
    await client().upload(RULE, STREAM_NAME, rows);
    // The SDK cuts at 1,000,000 bytes of the rows' JSON.
    const total = rows.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0);
    // Greedy packing of rows far smaller than the limit needs at most one request more than the least.
    expect(ingestion.requests.length).toBeGreaterThanOrEqual(Math.ceil(total / 1_000_000));
    expect(ingestion.requests.length).toBeLessThanOrEqual(Math.ceil(total / 1_000_000) + 1);
    expect(ingestion.requests.every((r) => r.status === 204 && r.bytes <= 1_048_576)).toBe(true);
    expect(new Set(ingestion.accepted.map((r) => r.RecordId))).toEqual(new Set(rows.map((r) => r.RecordId)));
  });
});

describe('fault injection', () => {
  it('a 429 with Retry-After surfaces to the caller as AggregateLogsUploadError → RestError with the header', async () => {
    ingestion.inject({ status: 429, retryAfter: '2' });
    const e = await failure(client().upload(RULE, STREAM_NAME, [row(9)]));
    expect(e!.message).toBe('undefined\n}'); // the SDK's message is broken: read errors[i]
    expect(e!.errors).toHaveLength(1);
    expect(e!.errors[0]!.failedLogs).toEqual([row(9)]);
    const cause = causeOf(e);
    expect(cause).toMatchObject({ name: 'RestError', statusCode: 429, code: 'InjectedFault' });
    expect(cause.response!.status).toBe(429);
    expect(cause.response!.headers.get('retry-after')).toBe('2');
    ingestion.inject({ status: 429, retryAfter: '2' });
    expect(describeResponse(await transport().post(RULE, STREAM_NAME, JSON.stringify([row(9)]), AbortSignal.timeout(10_000)))!.outcome).toMatchObject({ kind: 'refused', status: 429, retryAfter: '2' });
    await client().upload(RULE, STREAM_NAME, [row(10)]); // one fault per request
    expect(ingestion.requests.map((r) => r.status)).toEqual([429, 429, 204]);
  });

  it('injects 500, 413 and a 400 with a body, in order, one per request', async () => {
    ingestion.inject({ status: 500 }, { status: 413 }, { status: 400, code: 'InvalidStream', body: 'poison' });
    const statuses: (number | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      const e = await failure(client().upload(RULE, STREAM_NAME, [row(i)]));
      statuses.push(e === null ? 204 : causeOf(e).statusCode);
      if (i === 2) expect(causeOf(e)).toMatchObject({ code: 'InvalidStream', message: 'poison' });
    }
    expect(statuses).toEqual([500, 413, 400, 204]);
  });

  it('delays an answer', async () => {
    ingestion.inject({ delayMs: 400 });
    const t0 = Date.now();
    await client().upload(RULE, STREAM_NAME, [row(1)]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect(ingestion.accepted).toHaveLength(1);
  });

  it('onRequest decides per request: every 3rd fails, rows with a marked Statement are refused', async () => {
    ingestion.setOnRequest((rows, index) =>
      rows.some((r) => String(r.Statement).includes('DROP')) ? { status: 400, body: 'poison statement' } : index % 3 === 2 ? { status: 503 } : null,
    );
    const results: (number | undefined)[] = [];
    for (const r of [row(0), row(1), row(2), row(3, { Statement: 'DROP TABLE t' }), row(4), row(5)]) {
      const e = await failure(client().upload(RULE, STREAM_NAME, [r]));
      results.push(e === null ? 204 : causeOf(e).statusCode);
    }
    expect(results).toEqual([204, 204, 503, 400, 204, 503]);
    expect(ingestion.accepted.map((r) => r.RecordId)).toEqual(['id-0', 'id-1', 'id-4']);
  });

  it('a reset connection reaches the caller as an error without a status', async () => {
    ingestion.inject({ reset: true });
    const e = await failure(client().upload(RULE, STREAM_NAME, [row(1)]));
    expect(causeOf(e).statusCode).toBeUndefined();
    expect(describeUploadError(e, false).outcome.kind).toBe('network');
  });
});

describe('LogsIngestionSink against the double', () => {
  const sleeps: number[] = [];
  const sink = (): LogsIngestionSink =>
    new LogsIngestionSink(transport(), RULE, STREAM_NAME, {
      retry: { maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 5000, retryStatuses: [408, 429] },
      uploadTimeoutMs: 30_000,
      sleep: (ms) => {
        sleeps.push(ms);
        return new Promise((r) => setTimeout(r, ms));
      },
    });
  beforeEach(() => void (sleeps.length = 0));

  it('waits out a 429 (Retry-After 1), then delivers every row exactly once', async () => {
    ingestion.inject({ status: 429, retryAfter: '1' });
    const s = sink();
    const rows = [row(100), row(101), row(102)];
    const t0 = Date.now();
    expect(await s.send(rows.map(serializeRow))).toEqual({ accepted: 3, failed: [] });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(990);
    expect(sleeps).toEqual([1000]);
    expect(s.counters).toEqual({ requests: 2, acceptedRequests: 1, retries: 1, acceptedBytes: Buffer.byteLength(JSON.stringify(rows)) });
    expect(ingestion.accepted).toEqual(rows);
    expect(ingestion.requests.map((r) => r.status)).toEqual([429, 204]);
  });

  it('retries a reset connection and a 503 with backoff', async () => {
    ingestion.inject({ reset: true }, { status: 503 });
    const s = sink();
    expect(await s.send([serializeRow(row(1))])).toEqual({ accepted: 1, failed: [] });
    expect(s.counters.retries).toBe(2);
    expect(sleeps).toHaveLength(2);
    expect(ingestion.accepted.map((r) => r.RecordId)).toEqual(['id-1']);
  });

  it('hands back the chunk of a permanent 400 with the service error, without retrying', async () => {
    ingestion.setOnRequest((rows) => (rows.some((r) => r.RecordId === 'id-201') ? { status: 400, code: 'InvalidPayload', body: 'poison row' } : null));
    const s = sink();
    const result = await s.send([row(200), row(201)].map(serializeRow));
    expect(result.accepted).toBe(0);
    expect(result.failed).toHaveLength(1);
    const [f] = result.failed;
    expect(f).toMatchObject({ status: 400, attempts: 1, rows: [row(200), row(201)].map(serializeRow) });
    expect(f!.reason).toMatch(/^refused as invalid \(HTTP 400: InvalidPayload: poison row/);
    expect(JSON.parse(f!.body!)).toEqual({ error: { code: 'InvalidPayload', message: 'poison row' } });
    expect(s.counters.retries).toBe(0);
    expect(ingestion.requests).toHaveLength(1);
  });

  it('halves a chunk answered 413 and delivers both halves', async () => {
    ingestion.inject({ status: 413 });
    const s = sink();
    const rows = [row(1), row(2), row(3)];
    expect(await s.send(rows.map(serializeRow))).toEqual({ accepted: 3, failed: [] });
    expect(ingestion.requests.map((r) => [r.status, r.rows])).toEqual([[413, 3], [204, 2], [204, 1]]);
    expect(ingestion.accepted).toEqual(rows);
  });

  it('stops with IngestionError on 401 and 404 (every request would fail)', async () => {
    const s404 = new LogsIngestionSink(transport(), 'dcr-ffffffffffffffffffffffffffffffff', STREAM_NAME, RUN_DEFAULTS);
    const e404: unknown = await s404.send([serializeRow(row(1))]).then(() => null, (e: unknown) => e);
    expect(e404).toBeInstanceOf(IngestionError);
    expect((e404 as IngestionError).context).toMatchObject({ status: 404, ruleId: 'dcr-ffffffffffffffffffffffffffffffff' });
    const c = client();
    await c.upload(RULE, STREAM_NAME, [row(0)]);
    identity.revokeAll();
    const e401: unknown = await new LogsIngestionSink(pipelineTransport(c, ingestion.endpoint), RULE, STREAM_NAME, RUN_DEFAULTS).send([serializeRow(row(1))]).then(() => null, (e: unknown) => e);
    expect(e401).toBeInstanceOf(IngestionError);
    expect((e401 as IngestionError).context.status).toBe(401);
  });
});
