import { PgAuditError } from './pgaudit-error.js';

/** The state connection cannot serve the queue (exit code 2: a setting is wrong). */
export class QueueConnectionError extends PgAuditError {
  override readonly name = 'QueueConnectionError';
  readonly exitCode = 2;
}
