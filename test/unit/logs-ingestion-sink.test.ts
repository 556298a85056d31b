// The sink's decisions with a scripted transport (the real client's pipeline against a local
// HTTPS endpoint is exercised in test/support-tests and test/scenarios).
import { describe, expect, it } from 'vitest';
import { emptyRow, type PgAuditRow } from '../../src/schema.js';
import { IngestionError } from '../../src/errors/ingestion-error.js';
import type { IngestionResponse, IngestionTransport } from '../../src/ship/ingestion-transport.js';
import { LogsIngestionSink } from '../../src/ship/logs-ingestion-sink.js';
import { RequestBuilder, requestsOf, rowCount, rowsOf, splitRequest } from '../../src/ship/request-body.js';
import { MAX_REQUEST_BYTES, serializeRow, type SerializedRow } from '../../src/ship/serialized-rows.js';

const answer = (status: number, headers: Record<string, string> = {}, body: string | null = null): IngestionResponse => ({ status, retryAfter: headers['retry-after'] ?? null, bodyText: body });

type Step = IngestionResponse | Error | 'hang' | null;

class ScriptedTransport implements IngestionTransport {
  readonly calls: number[] = [];
  readonly accepted: Record<string, unknown>[] = [];
  /** UTF-8 bytes of the bodies answered 204. */
  acceptedBodyBytes = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** `hang`: the attempt never answers (until its abort signal fires); null: accepted (204). */
  constructor(private readonly script: (call: number, logs: Record<string, unknown>[]) => Step, private readonly delayMs = 0) {}
  async post(_rule: string, _stream: string, sent: string | Uint8Array, signal: AbortSignal): Promise<IngestionResponse> {
    const body = typeof sent === 'string' ? sent : Buffer.from(sent).toString('utf8');
    const logs = JSON.parse(body) as Record<string, unknown>[];
    this.calls.push(logs.length);
    const step = this.script(this.calls.length, logs);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      if (step === 'hang') return await new Promise((_, reject) => signal.addEventListener('abort', () => reject(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }))));
      if (step instanceof Error) throw step;
      if (step !== null && (step.status < 200 || step.status > 299)) return step;
      this.accepted.push(...logs);
      this.acceptedBodyBytes += Buffer.byteLength(body);
      return answer(204);
    } finally {
      this.inFlight--;
    }
  }
}

const rowObjects = (n: number, statementChars = 10): PgAuditRow[] =>
  Array.from({ length: n }, (_, i) => ({ ...emptyRow(), EventType: 'AUDIT', Statement: 'x'.repeat(statementChars), RecordId: `r${i}`, SourceOffset: i }));
const rows = (n: number, statementChars = 10): SerializedRow[] => rowObjects(n, statementChars).map(serializeRow);
const idsOf = (rs: readonly { json: string }[]): unknown[] => rs.map((r) => (JSON.parse(r.json) as PgAuditRow).RecordId);

function sinkWith(transport: IngestionTransport, sleeps: number[] = [], uploadTimeoutMs?: number, concurrency?: number) {
  return new LogsIngestionSink(transport, 'dcr-00000000000000000000000000000000', 'Custom-PgAudit_CL', {
    retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 1000, retryStatuses: [408, 429] },
    uploadTimeoutMs: uploadTimeoutMs ?? 30_000,
    concurrency,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
  });
}

describe('LogsIngestionSink', () => {
  it('retries 429 honouring Retry-After, then delivers every row once', async () => {
    const t = new ScriptedTransport((call) => (call === 1 ? answer(429, { 'retry-after': '0.5' }) : null));
    const sleeps: number[] = [];
    const result = await sinkWith(t, sleeps).send(rows(5));
    expect(result).toEqual({ accepted: 5, failed: [] });
    expect(sleeps).toEqual([500]);
    expect(t.accepted.map((r) => r.RecordId)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('stops the run (dead-letters nothing) when a 5xx persists past the attempts', async () => {
    const t = new ScriptedTransport(() => answer(503, {}, 'busy'));
    const sink = sinkWith(t);
    const err = await sink.send(rows(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestionError);
    expect(err).toMatchObject({ code: 'IngestionUnavailable', context: { status: 503, body: 'busy' } });
    expect((err as IngestionError).hint).toMatch(/nothing was dead-lettered/);
    expect(sink.counters).toMatchObject({ requests: 3, retries: 2, acceptedRequests: 0 });
  });

  it('abandons an attempt that never answers after the upload timeout, retries, then stops', async () => {
    const t = new ScriptedTransport(() => 'hang');
    const started = Date.now();
    const err = await sinkWith(t, [], 50).send(rows(1)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IngestionUnavailable' });
    expect((err as IngestionError).message).toMatch(/timeout/);
    expect(t.calls).toEqual([1, 1, 1]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a hanging attempt that is answered on retry delivers once', async () => {
    const t = new ScriptedTransport((call) => (call === 1 ? 'hang' : null));
    expect(await sinkWith(t, [], 50).send(rows(2))).toEqual({ accepted: 2, failed: [] });
    expect(t.accepted).toHaveLength(2);
  });

  it('does not retry a 400 and keeps the response body and the rows\' positions for the dead letter', async () => {
    const t = new ScriptedTransport(() => answer(400, {}, '{"error":{"code":"InvalidStream","message":"no such stream"}}'));
    const result = await sinkWith(t).send(rows(2));
    expect(t.calls).toEqual([2]);
    expect(result.failed[0]).toMatchObject({ status: 400, body: '{"error":{"code":"InvalidStream","message":"no such stream"}}', attempts: 1, from: 0, to: 2 });
    expect(result.failed[0]!.reason).toMatch(/InvalidStream: no such stream/);
  });

  it('after a 413 split, a refused half is dead-lettered with its own positions and its rows exactly as sent', async () => {
    const t = new ScriptedTransport((_call, logs) => (logs.length > 2 ? answer(413) : logs.some((r) => r.RecordId === 'r5') ? answer(400) : null));
    const input = rows(7);
    const result = await sinkWith(t).send(input);
    expect(result.accepted).toBe(5);
    expect(result.failed.map((f) => [f.from, f.to, idsOf(f.rows)])).toEqual([[4, 6, ['r4', 'r5']]]);
    expect(result.failed[0]!.rows).toEqual(input.slice(4, 6));
  });

  it('halves a request the service calls too large (413) until it fits', async () => {
    const t = new ScriptedTransport((_call, logs) => (logs.length > 2 ? answer(413) : null));
    const sink = sinkWith(t);
    const result = await sink.send(rows(7));
    expect(result).toEqual({ accepted: 7, failed: [] });
    // Each half counts its own bytes, not the refused request's.
    expect(sink.counters).toMatchObject({ acceptedRequests: 4, acceptedBytes: t.acceptedBodyBytes });
    expect(t.accepted.map((r) => r.RecordId).sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
  });

  it.each([
    { status: 401, code: 'IngestionUnauthorized' },
    { status: 403, code: 'IngestionForbidden' },
    { status: 404, code: 'IngestionNotFound' },
  ])('stops the run on $status (every request would fail the same way)', async ({ status, code }) => {
    const t = new ScriptedTransport(() => answer(status));
    await expect(sinkWith(t).send(rows(1))).rejects.toMatchObject({ name: 'IngestionError', code });
    expect(t.calls).toEqual([1]);
  });

  it('stops (does not dead-letter) when no token can be had, after retrying', async () => {
    const noToken = Object.assign(new Error('ManagedIdentityCredential: Authentication failed'), { name: 'CredentialUnavailableError' });
    const t = new ScriptedTransport(() => noToken);
    await expect(sinkWith(t).send(rows(2))).rejects.toMatchObject({ code: 'IngestionNoToken' });
    expect(t.calls).toEqual([2, 2, 2]);
  });

  it.each([
    { concurrency: 1, expected: 1 },
    { concurrency: 4, expected: 4 },
  ])('keeps up to $concurrency request(s) in flight; every row is accepted once', async ({ concurrency, expected }) => {
    const t = new ScriptedTransport(() => null, 20);
    const input = rows(12 * 1000, 900); // about 12 requests of ~1 MB
    const result = await sinkWith(t, [], undefined, concurrency).send(input);
    expect(result).toEqual({ accepted: input.length, failed: [] });
    expect(t.maxInFlight).toBe(expected);
    expect(t.accepted.map((r) => r.RecordId).sort()).toEqual(idsOf(input).sort());
  });

  it('a Stop in one request: nothing new starts, the others in flight end, then it is thrown', async () => {
    const t = new ScriptedTransport((call) => (call === 2 ? answer(401) : null), 20);
    const input = rows(12 * 1000, 900);
    const err = await sinkWith(t, [], undefined, 4).send(input).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IngestionUnauthorized' });
    // Requests answered at about the same time may each start one more before the Stop is seen.
    expect(t.calls.length).toBeLessThanOrEqual(2 * 4);
    expect(t.calls.length).toBeLessThan(requestsOf(input).length);
    expect(t.inFlight).toBe(0);
  });

  it('dead-lettered chunks come back in row order, whatever order they were answered in', async () => {
    const t = new ScriptedTransport((call) => (call % 2 === 0 ? answer(400) : null), 5);
    const result = await sinkWith(t, [], undefined, 4).send(rows(8 * 1000, 900));
    const froms = result.failed.map((f) => f.from);
    expect(froms.length).toBeGreaterThan(1);
    expect(froms).toEqual([...froms].sort((a, b) => a - b));
  });
});

describe('requestsOf', () => {
  it('cuts requests of at most the byte limit, each body a JSON array of its rows in order, as serialised', () => {
    const input = rows(3000, 900);
    const requests = requestsOf(input);
    expect(requests.length).toBeGreaterThan(1);
    for (const r of requests) {
      expect(r.body.byteLength).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
      expect(JSON.parse(Buffer.from(r.body).toString('utf8'))).toHaveLength(rowCount(r));
    }
    // Full requests: every one but the last is at least 99 % of the limit.
    for (const r of requests.slice(0, -1)) expect(r.body.byteLength).toBeGreaterThan(MAX_REQUEST_BYTES * 0.99);
    // Every row exactly once, in order, with its text and source offset (what dead letters keep).
    expect(requests.flatMap((r) => rowsOf(r))).toEqual(input);
  });

  it('packs as the byte sizes say: a row goes into the open request exactly when the body stays within the limit', () => {
    let seed = 7;
    const input: SerializedRow[] = [];
    for (let i = 0; i < 4000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      input.push(rows(1, seed % 3000)[0]!);
    }
    const b = new RequestBuilder();
    let open = 1; // "[" + "]" + one comma fewer than rows
    let count = 0;
    for (const r of input) {
      const bytes = Buffer.byteLength(r.json);
      if (count > 0 && open + bytes + 1 > MAX_REQUEST_BYTES) {
        open = 1;
        count = 0;
      }
      open += bytes + 1;
      count++;
      b.add(r.json, r.offset);
      expect(b.openBytes).toBe(open);
    }
    expect(b.take().at(-1)!.body.byteLength).toBe(open);
  });

  it('halves a request into two whose rows are the original ones', () => {
    const [r] = requestsOf(rows(7, 50).map((x, i) => (i === 3 ? { ...x, offset: null } : x)));
    const [a, b] = splitRequest(r!);
    expect([rowCount(a), rowCount(b)]).toEqual([4, 3]);
    expect([...rowsOf(a), ...rowsOf(b)]).toEqual(rowsOf(r!));
    expect(rowsOf(a)[3]!.offset).toBeNull();
    for (const half of [a, b]) expect(JSON.parse(Buffer.from(half.body).toString('utf8'))).toHaveLength(rowCount(half));
  });

  it('sends an oversized single row alone', () => {
    expect(requestsOf(rows(2, 2_000_000)).map(rowCount)).toEqual([1, 1]);
  });

  it('serialises a row once, with its source offset', () => {
    const [row] = rowObjects(1);
    const s = serializeRow({ ...row!, Statement: 'é' });
    expect(JSON.parse(s.json)).toEqual({ ...row, Statement: 'é' });
    expect(s.offset).toBe(0);
  });
});
