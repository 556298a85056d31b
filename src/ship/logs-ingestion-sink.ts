// Ships rows through the Logs Ingestion API with the real @azure/monitor-ingestion client.
// Rows are cut into requests of at most ~1 MB of JSON (so each request is full and the SDK
// never re-splits) and sent one at a time in order. After each attempt the pure upload decision
// (upload-decision.ts) says what happens next; the client's own retries are off so that one rule
// decides. A Stop throws IngestionError; only rows refused as invalid come back as failed chunks.
import { defaultOf } from '../config/settings-model.js';
import type { PgAuditRow } from '../schema.js';
import { IngestionError } from './ingestion-error.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import { describeUploadError } from './upload-error-info.js';
import { decideUpload, type UploadOutcome } from './upload-decision.js';

/** The part of LogsIngestionClient the sink uses (the real client satisfies it). */
export interface UploadClient {
  upload(ruleId: string, streamName: string, logs: Record<string, unknown>[], options?: { maxConcurrency?: number; abortSignal?: AbortSignal }): Promise<void>;
}

/** Rows the service refused as invalid, to be dead-lettered. */
export interface FailedChunk<R = PgAuditRow> {
  readonly rows: R[];
  /** Index of the chunk's first row in the rows given to send(), and one past its last. */
  readonly from: number;
  readonly to: number;
  readonly status: number | undefined;
  readonly reason: string;
  readonly body: string | null;
  readonly attempts: number;
}

export interface SendResult<R = PgAuditRow> {
  readonly accepted: number;
  readonly failed: FailedChunk<R>[];
}

export interface SinkCounters {
  /** Every attempt, retries included. */
  requests: number;
  /** Uncompressed JSON bytes of the requests that were accepted. */
  acceptedBytes: number;
  acceptedRequests: number;
  retries: number;
}

/** Bytes of JSON per request: the service takes 1 MB per call; keep room for brackets. */
export const MAX_REQUEST_BYTES = 1_000_000 - 1024;

export interface LogsIngestionSinkOptions {
  readonly retry?: RetryPolicy;
  /** One attempt is abandoned (and decided on as a timeout) after this long. */
  readonly uploadTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly onRetry?: (info: { outcome: UploadOutcome; delayMs: number; attempt: number }) => void;
}

export interface SendOptions {
  /** When the run must stop (ms since the epoch): no retry waits past it. */
  readonly deadline?: number | null;
}

/** Sends rows of one stream: PgAudit_CL rows, or run records (the same rules apply). */
export class LogsIngestionSink<R extends object = PgAuditRow> {
  readonly counters: SinkCounters = { requests: 0, acceptedBytes: 0, acceptedRequests: 0, retries: 0 };
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly uploadTimeoutMs: number;

  constructor(
    private readonly client: UploadClient,
    readonly ruleId: string,
    readonly stream: string,
    private readonly options: LogsIngestionSinkOptions = {},
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = options.now ?? Date.now;
    this.uploadTimeoutMs = options.uploadTimeoutMs ?? Number(defaultOf('uploadTimeoutSeconds')) * 1000;
  }

  /** Sends rows in order; returns the rows refused as invalid. Throws IngestionError on a Stop. */
  async send(rows: readonly R[], options: SendOptions = {}): Promise<SendResult<R>> {
    let accepted = 0;
    const failed: FailedChunk<R>[] = [];
    let from = 0;
    for (const { rows: chunk, bytes } of chunkBySize(rows, MAX_REQUEST_BYTES)) {
      const sent = await this.sendChunk(chunk, bytes, from, options.deadline ?? null);
      accepted += sent.accepted;
      failed.push(...sent.failed);
      from += chunk.length;
    }
    return { accepted, failed };
  }

  private async sendChunk(rows: R[], bytes: number, from: number, deadline: number | null): Promise<SendResult<R>> {
    for (let attempt = 1; ; attempt++) {
      this.counters.requests++;
      const timeout = AbortSignal.timeout(this.uploadTimeoutMs);
      let outcome: UploadOutcome = { kind: 'accepted' };
      let body: string | null = null;
      let cause: unknown;
      try {
        await this.client.upload(this.ruleId, this.stream, rows as unknown as Record<string, unknown>[], { maxConcurrency: 1, abortSignal: timeout });
      } catch (err) {
        ({ outcome, body } = describeUploadError(err, timeout.aborted));
        cause = err;
      }
      const decision = decideUpload(outcome, { attempt, rows: rows.length, now: this.now(), deadline, random: Math.random() }, this.retry);
      switch (decision.action) {
        case 'Ok':
          this.counters.acceptedRequests++;
          this.counters.acceptedBytes += bytes;
          return { accepted: rows.length, failed: [] };
        case 'Split': {
          // Too large after all (the service measures differently): halve it rather than give up.
          const half = Math.ceil(rows.length / 2);
          const first = await this.send(rows.slice(0, half), { deadline });
          const second = await this.send(rows.slice(half), { deadline });
          const shift = (f: FailedChunk<R>, by: number): FailedChunk<R> => ({ ...f, from: f.from + by, to: f.to + by });
          return { accepted: first.accepted + second.accepted, failed: [...first.failed.map((f) => shift(f, from)), ...second.failed.map((f) => shift(f, from + half))] };
        }
        case 'Retry':
          this.counters.retries++;
          this.options.onRetry?.({ outcome, delayMs: decision.delayMs, attempt });
          await this.sleep(decision.delayMs);
          continue;
        case 'Stop':
          throw new IngestionError(
            `${decision.reason} (DCR ${this.ruleId}, stream ${this.stream})`,
            { code: decision.code, status: outcome.kind === 'refused' ? outcome.status : undefined, ruleId: this.ruleId, stream: this.stream, body },
            { hint: decision.hint, cause },
          );
        case 'DeadLetter':
          return { accepted: 0, failed: [{ rows, from, to: from + rows.length, status: outcome.kind === 'refused' ? outcome.status : undefined, reason: decision.reason, body, attempts: attempt }] };
      }
    }
  }
}

/** Splits rows into runs whose JSON array is at most maxBytes. */
export function* chunkBySize<R>(rows: readonly R[], maxBytes: number): Generator<{ rows: R[]; bytes: number }> {
  // "[" + "]" + one comma fewer than rows: start at 1 and count a comma with every row.
  let chunk: R[] = [];
  let bytes = 1;
  for (const row of rows) {
    const size = Buffer.byteLength(JSON.stringify(row)) + 1; // and its comma
    if (chunk.length > 0 && bytes + size > maxBytes) {
      yield { rows: chunk, bytes };
      chunk = [];
      bytes = 1;
    }
    chunk.push(row);
    bytes += size;
  }
  if (chunk.length > 0) yield { rows: chunk, bytes };
}
