import { PgAuditError } from './pgaudit-error.js';

/** A message could not be put on the server queue. */
export class QueueSendError extends PgAuditError {
  override readonly name = 'QueueSendError';
  readonly exitCode = 1;
}
