import { PgAuditError } from './pgaudit-error.js';

/**
 * A state document (server checkpoints, session snapshot, blob marker, dead-letter header)
 * cannot be read: not JSON, the wrong shape, or a version this release does not know. Names
 * the blob and what is wrong. Never answered by a silent reset: a reset re-ships from offset 0.
 */
export class StateDocumentError extends PgAuditError {
  override readonly name = 'StateDocumentError';
  readonly exitCode = 1;

  constructor(
    readonly blob: string,
    problem: string,
    options: { hint: string; code?: 'StateDocumentInvalid' | 'StateDocumentTooNew'; cause?: unknown },
  ) {
    super(`state blob ${blob}: ${problem}`, { code: 'StateDocumentInvalid', ...options });
  }
}
