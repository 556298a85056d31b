import { PgAuditError } from './pgaudit-error.js';

/** This worker no longer owns a server's state (its lease expired or was taken): stop writing. */
export class LeaseLostError extends PgAuditError {
  override readonly name = 'LeaseLostError';
  readonly exitCode = 1;

  constructor(
    readonly stateBlob: string,
    options?: { cause?: unknown },
  ) {
    super(`lost the lease on ${stateBlob}; another worker may own it now, so this one stopped without writing`, {
      ...options,
      hint: 'nothing was lost: the checkpoint stays where the last complete write left it, and the next run resumes there',
    });
  }
}
