// The sink's decisions with a scripted client (the real client against a local HTTPS endpoint is
// exercised in test/support-tests and test/scenarios).
import { describe, expect, it } from 'vitest';
import { emptyRow, type PgAuditRow } from '../../src/schema.js';
import { IngestionError } from '../../src/ship/ingestion-error.js';
import { chunkBySize, LogsIngestionSink, MAX_REQUEST_BYTES, type UploadClient } from '../../src/ship/logs-ingestion-sink.js';

/** An error shaped like the SDK's RestError inside AggregateLogsUploadError.errors[0].cause. */
function restError(status: number, headers: Record<string, string> = {}, body = '') {
  return Object.assign(new Error(`HTTP ${status}`), {
    name: 'RestError',
    statusCode: status,
    response: { headers: { get: (n: string) => headers[n.toLowerCase()] }, bodyAsText: body },
  });
}

class ScriptedClient implements UploadClient {
  readonly calls: number[] = [];
  readonly accepted: Record<string, unknown>[] = [];
  /** `hang`: the attempt never answers (until its abort signal fires). */
  constructor(private readonly script: (call: number, logs: Record<string, unknown>[]) => Error | null | 'hang') {}
  upload(_rule: string, _stream: string, logs: Record<string, unknown>[], options?: { abortSignal?: AbortSignal }): Promise<void> {
    this.calls.push(logs.length);
    const err = this.script(this.calls.length, logs);
    if (err === 'hang') {
      return new Promise((_, reject) => options?.abortSignal?.addEventListener('abort', () => reject(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }))));
    }
    if (err) return Promise.reject(err);
    this.accepted.push(...logs);
    return Promise.resolve();
  }
}

const rows = (n: number, statementChars = 10): PgAuditRow[] =>
  Array.from({ length: n }, (_, i) => ({ ...emptyRow(), EventType: 'AUDIT', Statement: 'x'.repeat(statementChars), RecordId: `r${i}`, SourceOffset: i }));

function sinkWith(client: UploadClient, sleeps: number[] = [], uploadTimeoutMs?: number) {
  return new LogsIngestionSink(client, 'dcr-00000000000000000000000000000000', 'Custom-PgAudit_CL', {
    retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 1000, retryStatuses: [408, 429] },
    uploadTimeoutMs,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
}

describe('LogsIngestionSink', () => {
  it('retries 429 honouring Retry-After, then delivers every row once', async () => {
    const client = new ScriptedClient((call) => (call === 1 ? restError(429, { 'retry-after': '0.5' }) : null));
    const sleeps: number[] = [];
    const result = await sinkWith(client, sleeps).send(rows(5));
    expect(result).toEqual({ accepted: 5, failed: [] });
    expect(sleeps).toEqual([500]);
    expect(client.accepted.map((r) => r.RecordId)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('stops the run (dead-letters nothing) when a 5xx persists past the attempts', async () => {
    const client = new ScriptedClient(() => restError(503, {}, 'busy'));
    const sink = sinkWith(client);
    const err = await sink.send(rows(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestionError);
    expect(err).toMatchObject({ code: 'IngestionUnavailable', context: { status: 503, body: 'busy' } });
    expect((err as IngestionError).hint).toMatch(/nothing was dead-lettered/);
    expect(sink.counters).toMatchObject({ requests: 3, retries: 2, acceptedRequests: 0 });
  });

  it('abandons an attempt that never answers after the upload timeout, retries, then stops', async () => {
    const client = new ScriptedClient(() => 'hang');
    const started = Date.now();
    const err = await sinkWith(client, [], 50).send(rows(1)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IngestionUnavailable' });
    expect((err as IngestionError).message).toMatch(/timeout/);
    expect(client.calls).toEqual([1, 1, 1]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a hanging attempt that is answered on retry delivers once', async () => {
    const client = new ScriptedClient((call) => (call === 1 ? 'hang' : null));
    expect(await sinkWith(client, [], 50).send(rows(2))).toEqual({ accepted: 2, failed: [] });
    expect(client.accepted).toHaveLength(2);
  });

  it('does not retry a 400 and keeps the response body and the rows\' positions for the dead letter', async () => {
    const client = new ScriptedClient(() => restError(400, {}, '{"error":{"code":"InvalidStream"}}'));
    const result = await sinkWith(client).send(rows(2));
    expect(client.calls).toEqual([2]);
    expect(result.failed[0]).toMatchObject({ status: 400, body: '{"error":{"code":"InvalidStream"}}', attempts: 1, from: 0, to: 2 });
  });

  it('after a 413 split, a refused half is dead-lettered with its own positions', async () => {
    const client = new ScriptedClient((_call, logs) => (logs.length > 2 ? restError(413) : logs.some((r) => r.RecordId === 'r5') ? restError(400) : null));
    const result = await sinkWith(client).send(rows(7));
    expect(result.accepted).toBe(5);
    expect(result.failed.map((f) => [f.from, f.to, f.rows.map((r) => r.RecordId)])).toEqual([[4, 6, ['r4', 'r5']]]);
  });

  it('halves a request the service calls too large (413) until it fits', async () => {
    const client = new ScriptedClient((_call, logs) => (logs.length > 2 ? restError(413) : null));
    const result = await sinkWith(client).send(rows(7));
    expect(result).toEqual({ accepted: 7, failed: [] });
    expect(client.accepted.map((r) => r.RecordId)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
  });

  it.each([
    { status: 401, code: 'IngestionUnauthorized' },
    { status: 403, code: 'IngestionForbidden' },
    { status: 404, code: 'IngestionNotFound' },
  ])('stops the run on $status (every request would fail the same way)', async ({ status, code }) => {
    const client = new ScriptedClient(() => restError(status));
    await expect(sinkWith(client).send(rows(1))).rejects.toMatchObject({ name: 'IngestionError', code });
    expect(client.calls).toEqual([1]);
  });

  it('stops (does not dead-letter) when no token can be had, after retrying', async () => {
    const noToken = Object.assign(new Error('ManagedIdentityCredential: Authentication failed'), { name: 'CredentialUnavailableError' });
    const aggregate = Object.assign(new Error('undefined\n}'), { name: 'AggregateLogsUploadError', errors: [{ cause: noToken, failedLogs: [] }] });
    const client = new ScriptedClient(() => aggregate);
    const sink = sinkWith(client);
    await expect(sink.send(rows(2))).rejects.toMatchObject({ code: 'IngestionNoToken' });
    expect(client.calls).toEqual([2, 2, 2]);
  });

  it('unwraps AggregateLogsUploadError (whose own message is broken)', async () => {
    const aggregate = Object.assign(new Error('undefined\n}'), { name: 'AggregateLogsUploadError', errors: [{ cause: restError(429, { 'retry-after': '0.75' }), failedLogs: [] }] });
    const client = new ScriptedClient((call) => (call === 1 ? aggregate : null));
    const sleeps: number[] = [];
    expect(await sinkWith(client, sleeps).send(rows(1))).toEqual({ accepted: 1, failed: [] });
    expect(sleeps).toEqual([750]);
  });
});

describe('chunkBySize', () => {
  it('cuts requests of at most the byte limit, each a valid JSON array, in order', () => {
    const input = rows(3000, 900);
    const chunks = [...chunkBySize(input, MAX_REQUEST_BYTES)];
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(Buffer.byteLength(JSON.stringify(c.rows))).toBe(c.bytes);
      expect(c.bytes).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    }
    // Full requests: every chunk but the last is at least 99 % of the limit.
    for (const c of chunks.slice(0, -1)) expect(c.bytes).toBeGreaterThan(MAX_REQUEST_BYTES * 0.99);
    expect(chunks.flatMap((c) => c.rows)).toEqual(input);
  });

  it('sends an oversized single row alone', () => {
    const chunks = [...chunkBySize(rows(2, 2_000_000), MAX_REQUEST_BYTES)];
    expect(chunks.map((c) => c.rows.length)).toEqual([1, 1]);
  });
});
