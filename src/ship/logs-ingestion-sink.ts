// Ships rows through the Logs Ingestion API with the real @azure/monitor-ingestion client.
// Rows are cut into requests of at most ~1 MB of JSON (so each request is full and the SDK
// never re-splits), sent one at a time in order, and retried by the pure policy in
// retry-policy.ts (the client's own retries are switched off so that one policy decides).
import { isAggregateLogsUploadError } from '@azure/monitor-ingestion';
import { isCredentialFailure } from '../config/credential-failure.js';
import type { PgAuditRow } from '../schema.js';
import { IngestionError } from './ingestion-error.js';
import { DEFAULT_RETRY_POLICY, decideRetry, type RetryPolicyOptions } from './retry-policy.js';

/** The part of LogsIngestionClient the sink uses (the real client satisfies it). */
export interface UploadClient {
  upload(ruleId: string, streamName: string, logs: Record<string, unknown>[], options?: { maxConcurrency?: number }): Promise<void>;
}

export interface FailedChunk {
  readonly rows: PgAuditRow[];
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
  requests: number;
  /** Uncompressed JSON bytes of the requests that were accepted. */
  acceptedBytes: number;
  acceptedRequests: number;
  retries: number;
}

/** Bytes of JSON per request: the service takes 1 MB per call; keep room for brackets. */
export const MAX_REQUEST_BYTES = 1_000_000 - 1024;
/** Failures that every request would meet: stop instead of dead-lettering everything. */
const CONFIGURATION_STATUSES = new Set([401, 403, 404]);

export interface LogsIngestionSinkOptions {
  readonly retry?: RetryPolicyOptions;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onRetry?: (info: { status: number | undefined; delayMs: number; attempt: number }) => void;
}

export class LogsIngestionSink {
  readonly counters: SinkCounters = { requests: 0, acceptedBytes: 0, acceptedRequests: 0, retries: 0 };
  private readonly retry: RetryPolicyOptions;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: UploadClient,
    readonly ruleId: string,
    readonly stream: string,
    private readonly options: LogsIngestionSinkOptions = {},
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Sends rows in order. Rows that still fail after the policy gave up are returned. */
  async send(rows: readonly PgAuditRow[]): Promise<SendResult> {
    let accepted = 0;
    const failed: FailedChunk[] = [];
    for (const { rows: chunk, bytes } of chunkBySize(rows, MAX_REQUEST_BYTES)) {
      const outcome = await this.sendChunk(chunk, bytes);
      if (outcome === null) {
        accepted += chunk.length;
      } else if (outcome.status === 413 && chunk.length > 1) {
        // Too large after all (the service measures differently): halve it rather than give up.
        const half = Math.ceil(chunk.length / 2);
        for (const part of [chunk.slice(0, half), chunk.slice(half)]) {
          const sub = await this.send(part);
          accepted += sub.accepted;
          failed.push(...sub.failed);
        }
      } else {
        failed.push(outcome);
      }
    }
    return { accepted, failed };
  }

  private async sendChunk(rows: PgAuditRow[], bytes: number): Promise<FailedChunk | null> {
    for (let attempt = 1; ; attempt++) {
      this.counters.requests++;
      try {
        await this.client.upload(this.ruleId, this.stream, rows, { maxConcurrency: 1 });
        this.counters.acceptedRequests++;
        this.counters.acceptedBytes += bytes;
        return null;
      } catch (err) {
        const { status, retryAfter, body, message, credentialFailure } = describeUploadError(err);
        if (status !== undefined && CONFIGURATION_STATUSES.has(status)) {
          throw new IngestionError(
            `Logs Ingestion refused the upload with HTTP ${status} (${message}); check the endpoint, DCR immutable id ${this.ruleId}, stream ${this.stream} and the identity's Monitoring Metrics Publisher role`,
            { status, ruleId: this.ruleId, stream: this.stream, body },
            { cause: err },
          );
        }
        const decision = decideRetry(status, retryAfter, attempt, this.retry);
        if (!decision.retry && credentialFailure) {
          // No token: no request reached the service and every row would fail alike. Stop
          // (the checkpoint stays put) instead of dead-lettering the whole blob.
          throw new IngestionError(
            `could not get a token for the Logs Ingestion API (${message}); check the managed identity (AZURE_CLIENT_ID) or sign in`,
            { status: undefined, ruleId: this.ruleId, stream: this.stream, body: null },
            { cause: err },
          );
        }
        if (!decision.retry) return { rows, status, reason: `${decision.reason}: ${message}`, body, attempts: attempt };
        this.counters.retries++;
        this.options.onRetry?.({ status, delayMs: decision.delayMs, attempt });
        await this.sleep(decision.delayMs);
      }
    }
  }
}

/** Splits rows into runs whose JSON array is at most maxBytes. */
export function* chunkBySize(rows: readonly PgAuditRow[], maxBytes: number): Generator<{ rows: PgAuditRow[]; bytes: number }> {
  // "[" + "]" + one comma fewer than rows: start at 1 and count a comma with every row.
  let chunk: PgAuditRow[] = [];
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

interface UploadErrorInfo {
  status: number | undefined;
  /** The credential could not produce a token (nothing was sent). */
  credentialFailure: boolean;
  retryAfter: string | null;
  body: string | null;
  message: string;
}

/** Reads status, Retry-After and body from the SDK's AggregateLogsUploadError / RestError. */
export function describeUploadError(err: unknown): UploadErrorInfo {
  const cause: unknown = isAggregateLogsUploadError(err) ? (err.errors[0]?.cause ?? err) : err;
  const e = cause as { statusCode?: number; message?: string; code?: string; response?: { headers?: { get(n: string): string | undefined }; bodyAsText?: string | null } };
  // The client parses the service's {"error":{code,message}} into code/message and drops the text.
  const body = e.response?.bodyAsText ?? (e.code && e.message ? JSON.stringify({ error: { code: e.code, message: e.message } }) : null);
  return {
    status: typeof e.statusCode === 'number' ? e.statusCode : undefined,
    credentialFailure: isCredentialFailure(cause),
    retryAfter: e.response?.headers?.get('retry-after') ?? null,
    body: body === null ? null : body.slice(0, 4000),
    message: (e.message ?? e.code ?? String(cause)).slice(0, 500),
  };
}
