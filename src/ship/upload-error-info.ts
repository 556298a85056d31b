// What a failed upload attempt was, read from the SDK's errors: AggregateLogsUploadError (its
// `errors[i].cause`), RestError (status, Retry-After, the service's {"error":{code,message}}),
// @azure/identity's credential errors, and aborts of the attempt's own timeout.
import { isAggregateLogsUploadError } from '@azure/monitor-ingestion';
import { isCredentialFailure } from '../config/credential-failure.js';
import type { UploadOutcome } from './upload-decision.js';

export interface UploadErrorInfo {
  readonly outcome: Exclude<UploadOutcome, { kind: 'accepted' }>;
  /** The response body (or the service's code and message), for the dead letter. */
  readonly body: string | null;
}

export function describeUploadError(err: unknown, timedOut: boolean): UploadErrorInfo {
  const cause: unknown = isAggregateLogsUploadError(err) ? (err.errors[0]?.cause ?? err) : err;
  const e = cause as { name?: string; statusCode?: number; message?: string; code?: string; response?: { headers?: { get(n: string): string | undefined }; bodyAsText?: string | null } };
  const message = (e.message ?? e.code ?? String(cause)).slice(0, 500);
  // The client parses the service's {"error":{code,message}} into code/message and drops the text.
  const text = e.response?.bodyAsText ?? (e.code && e.message ? JSON.stringify({ error: { code: e.code, message: e.message } }) : null);
  const body = text === null ? null : text.slice(0, 4000);
  if (timedOut) return { outcome: { kind: 'timeout', message: 'no answer within the upload timeout' }, body: null };
  if (isCredentialFailure(cause)) return { outcome: { kind: 'no-token', message }, body: null };
  if (typeof e.statusCode === 'number') {
    return { outcome: { kind: 'refused', status: e.statusCode, retryAfter: e.response?.headers?.get('retry-after') ?? null, message }, body };
  }
  return { outcome: { kind: 'network', message }, body: null };
}
