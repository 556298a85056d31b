import { PgAuditError } from './pgaudit-error.js';

/** Why `pgaudit-ingest smoke` failed; each code has its own fix in the hint. */
export type SmokeFailure =
  | 'BlobWriteForbidden'
  | 'BlobWriteFailed'
  | 'QueryForbidden'
  | 'QueryUnauthorized'
  | 'QueryNotFound'
  | 'QueryRejected'
  | 'CanaryDeadLettered'
  | 'SmokeTimeout'
  | 'NoToken';

/**
 * The smoke test did not see its canary arrive (exit code 1): the write, a query, or the pipeline
 * in between failed. The message says what was seen, the hint what to do.
 */
export class SmokeError extends PgAuditError {
  override readonly name = 'SmokeError';
  readonly exitCode = 1;

  constructor(code: SmokeFailure, message: string, options: { hint: string; cause?: unknown }) {
    super(message, { ...options, code });
  }
}
