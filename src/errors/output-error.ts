import { PgAuditError, type PgAuditErrorOptions } from './pgaudit-error.js';

/** The output (a file given with -o, or stdout) cannot be written (exit code 1). */
export class OutputError extends PgAuditError {
  override readonly name = 'OutputError';
  readonly exitCode = 1;

  constructor(
    readonly path: string,
    message: string,
    options?: PgAuditErrorOptions,
  ) {
    super(`cannot write ${path}: ${message}`, options);
  }
}
