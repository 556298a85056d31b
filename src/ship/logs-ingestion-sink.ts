// Ships serialised rows to one DCR stream. Rows are cut into requests of at most ~1 MB of JSON
// (so each request is full) and up to UPLOAD_CONCURRENCY requests are in flight at once. After
// each attempt the pure upload decision (upload-decision.ts) says what happens next. A Stop
// throws IngestionError (once the requests in flight have ended); only rows the service refused
// as invalid come back, as failed chunks, to be dead-lettered.
import { IngestionError } from '../errors/ingestion-error.js';
import type { IngestionTransport } from './ingestion-transport.js';
import type { RetryPolicy } from './retry-policy.js';
import { requestsOf, rowCount, rowOffset, rowsOf, splitRequest, type RequestBody } from './request-body.js';
import type { SerializedRow } from './serialized-rows.js';
import { describeResponse, describeUploadError, type UploadErrorInfo } from './upload-error-info.js';
import { decideUpload, type UploadOutcome } from './upload-decision.js';

/**
 * Requests of one send in flight at once: one flush's requests all at once (docs/performance.md:
 * with four, parsing waited on the uploads twice as long). The service is built for parallel
 * callers (the SDK's own default is 5); each request holds ~1 MB of body and its gzip.
 */
export const UPLOAD_CONCURRENCY = 8;

/** Rows the service refused as invalid, to be dead-lettered. */
export interface FailedChunk {
  readonly rows: SerializedRow[];
  /** Index of the chunk's first row in the rows sent together, and one past its last. */
  readonly from: number;
  readonly to: number;
  /** SourceOffset of the row after the chunk's last one in the rows sent together (null: none, or the last). */
  readonly nextOffset: number | null;
  readonly status: number | undefined;
  readonly reason: string;
  readonly body: string | null;
  readonly attempts: number;
}

export interface SendResult {
  readonly accepted: number;
  readonly failed: FailedChunk[];
}

export interface SinkCounters {
  /** Every attempt, retries included. */
  requests: number;
  /** Uncompressed JSON bytes of the requests that were accepted. */
  acceptedBytes: number;
  acceptedRequests: number;
  retries: number;
}

export interface LogsIngestionSinkOptions {
  /** From the settings (retryPolicy(PGAUDIT_UPLOAD_ATTEMPTS)); the sink has no defaults of its own. */
  readonly retry: RetryPolicy;
  /** One attempt is abandoned (and decided on as a timeout) after this long (PGAUDIT_UPLOAD_TIMEOUT_SECONDS). */
  readonly uploadTimeoutMs: number;
  readonly concurrency?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly onRetry?: (info: { outcome: UploadOutcome; delayMs: number; attempt: number }) => void;
}

export interface SendOptions {
  /** When the run must stop (ms since the epoch): no retry waits past it. */
  readonly deadline?: number | null;
  /** No attempt runs past this (ms since the epoch): it is abandoned then, as a timeout. */
  readonly endBy?: number | null;
  /** Attempts of one request, fewer than the policy's (one, after an outage this run already met). */
  readonly maxAttempts?: number;
}

/** One send's limits: SendOptions resolved against the sink's policy. */
interface Bounds {
  readonly deadline: number | null;
  readonly endBy: number | null;
  readonly policy: RetryPolicy;
}

export class LogsIngestionSink {
  readonly counters: SinkCounters = { requests: 0, acceptedBytes: 0, acceptedRequests: 0, retries: 0 };
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly uploadTimeoutMs: number;
  private readonly concurrency: number;

  constructor(
    private readonly transport: IngestionTransport,
    readonly ruleId: string,
    readonly stream: string,
    private readonly options: LogsIngestionSinkOptions,
  ) {
    this.retry = options.retry;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = options.now ?? Date.now;
    this.uploadTimeoutMs = options.uploadTimeoutMs;
    this.concurrency = Math.max(1, options.concurrency ?? UPLOAD_CONCURRENCY);
  }

  /** Sends rows; returns the rows refused as invalid. Throws IngestionError on a Stop. */
  send(rows: readonly SerializedRow[], options: SendOptions = {}): Promise<SendResult> {
    return this.sendRequests(requestsOf(rows), options);
  }

  /** Sends requests built beforehand (request-body.ts), up to `concurrency` at once; as send(). */
  async sendRequests(requests: readonly RequestBody[], options: SendOptions = {}): Promise<SendResult> {
    const bounds: Bounds = {
      deadline: options.deadline ?? null,
      endBy: options.endBy ?? null,
      policy: options.maxAttempts === undefined ? this.retry : { ...this.retry, maxAttempts: Math.min(this.retry.maxAttempts, options.maxAttempts) },
    };
    const firstRow: number[] = [];
    let n = 0;
    for (const r of requests) {
      firstRow.push(n);
      n += rowCount(r);
    }
    let accepted = 0;
    const failed: FailedChunk[] = [];
    // The first Stop: no new request starts after it; the ones in flight end first.
    const stop: { error: Error | null } = { error: null };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (stop.error === null && next < requests.length) {
        const k = next++;
        const after = requests[k + 1];
        try {
          const r = await this.sendRequest(requests[k]!, firstRow[k]!, after ? rowOffset(after, 0) : null, bounds);
          accepted += r.accepted;
          failed.push(...r.failed);
        } catch (err) {
          stop.error ??= err instanceof Error ? err : new Error(String(err));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, requests.length) }, worker));
    if (stop.error !== null) throw stop.error;
    return { accepted, failed: failed.sort((a, b) => a.from - b.from) };
  }

  private async attempt(request: RequestBody, endBy: number | null): Promise<UploadErrorInfo | null> {
    const ms = endBy === null ? this.uploadTimeoutMs : Math.min(this.uploadTimeoutMs, endBy - this.now());
    if (ms <= 0) return { outcome: { kind: 'timeout', message: 'no time was left in the run for another attempt' }, body: null };
    this.counters.requests++;
    const timeout = AbortSignal.timeout(ms);
    try {
      return describeResponse(await this.transport.post(this.ruleId, this.stream, request.body, timeout));
    } catch (err) {
      return { ...describeUploadError(err, timeout.aborted), cause: err };
    }
  }

  /** One request until it is accepted, dead-lettered or stops the run; `from` is its first row's index. */
  private async sendRequest(request: RequestBody, from: number, nextOffset: number | null, bounds: Bounds): Promise<SendResult> {
    const rows = rowCount(request);
    for (let attempt = 1; ; attempt++) {
      const failure = await this.attempt(request, bounds.endBy);
      const outcome: UploadOutcome = failure?.outcome ?? { kind: 'accepted' };
      const decision = decideUpload(outcome, { attempt, rows, now: this.now(), deadline: bounds.deadline, random: Math.random() }, bounds.policy);
      switch (decision.action) {
        case 'Ok':
          this.counters.acceptedRequests++;
          this.counters.acceptedBytes += request.body.byteLength;
          return { accepted: rows, failed: [] };
        case 'Split': {
          // Too large after all (the service measures differently): halve it rather than give up.
          const [a, b] = splitRequest(request);
          const parts = [await this.sendRequest(a, from, rowOffset(b, 0), bounds), await this.sendRequest(b, from + rowCount(a), nextOffset, bounds)];
          return { accepted: parts[0]!.accepted + parts[1]!.accepted, failed: [...parts[0]!.failed, ...parts[1]!.failed] };
        }
        case 'Retry':
          this.counters.retries++;
          this.options.onRetry?.({ outcome, delayMs: decision.delayMs, attempt });
          await this.sleep(decision.delayMs);
          continue;
        case 'Stop':
          throw new IngestionError(
            `${decision.reason} (DCR ${this.ruleId}, stream ${this.stream})`,
            { code: decision.code, status: outcome.kind === 'refused' ? outcome.status : undefined, ruleId: this.ruleId, stream: this.stream, body: failure?.body ?? null },
            { hint: decision.hint, cause: failure?.cause },
          );
        case 'DeadLetter':
          return {
            accepted: 0,
            failed: [{ rows: rowsOf(request), from, to: from + rows, nextOffset, status: outcome.kind === 'refused' ? outcome.status : undefined, reason: decision.reason, body: failure?.body ?? null, attempts: attempt }],
          };
      }
    }
  }
}
