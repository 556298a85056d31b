// What a failed upload attempt was: an answer that was not 2xx (its status, Retry-After and the
// service's {"error":{code,message}}), or no answer at all — the attempt's own timeout, a
// credential that produced no token (@azure/identity), or a network error.
import { isCredentialFailure } from '../errors/credential-failure.js';
import type { IngestionResponse } from './ingestion-transport.js';
import type { UploadOutcome } from './upload-decision.js';

export interface UploadErrorInfo {
  readonly outcome: Exclude<UploadOutcome, { kind: 'accepted' }>;
  /** The response body, for the dead letter. */
  readonly body: string | null;
  /** The error of an attempt that got no answer (the Stop's cause). */
  readonly cause?: unknown;
}

/** The outcome of an answer; null when it was accepted. */
export function describeResponse(res: IngestionResponse): UploadErrorInfo | null {
  if (res.status >= 200 && res.status < 300) return null;
  const body = res.bodyText === null ? null : res.bodyText.slice(0, 4000);
  let message = body ?? `HTTP ${res.status}`;
  try {
    const e = (JSON.parse(body ?? '') as { error?: { code?: string; message?: string } }).error;
    if (e?.message || e?.code) message = [e.code, e.message].filter(Boolean).join(': ');
  } catch {
    // not the service's JSON error shape: keep the text
  }
  return { outcome: { kind: 'refused', status: res.status, retryAfter: res.retryAfter, message: message.slice(0, 500) }, body };
}

/** The outcome of an attempt that got no answer. */
export function describeUploadError(err: unknown, timedOut: boolean): UploadErrorInfo {
  const message = ((err as { message?: string } | null)?.message ?? String(err)).slice(0, 500);
  if (timedOut) return { outcome: { kind: 'timeout', message: 'no answer within the upload timeout' }, body: null };
  if (isCredentialFailure(err)) return { outcome: { kind: 'no-token', message }, body: null };
  return { outcome: { kind: 'network', message }, body: null };
}
