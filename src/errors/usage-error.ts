import { PgAuditError } from './pgaudit-error.js';

/** The command line cannot be used as given (exit code 2). The message says what to change. */
export class UsageError extends PgAuditError {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}
