import { PgAuditError, type PgAuditErrorOptions } from './pgaudit-error.js';

/** An input file cannot be read (exit code 1). Carries the path and the underlying cause. */
export class InputError extends PgAuditError {
  override readonly name = 'InputError';
  readonly exitCode = 1;

  constructor(
    readonly path: string,
    message: string,
    options?: PgAuditErrorOptions,
  ) {
    super(`${path}: ${message}`, options);
  }
}
