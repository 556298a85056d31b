import { PgAuditError } from './pgaudit-error.js';
import type { RunError } from './run-error.js';

/** One run of the Functions app ended with errors (each was logged); failing the invocation makes it visible. */
export class RunFailedError extends PgAuditError {
  override readonly name = 'RunFailedError';
  readonly exitCode = 1;

  constructor(readonly errors: readonly RunError[]) {
    super(`${errors.length} server(s) or the run stopped: ${errors.map((e) => `${e.server ?? 'run'}: ${e.code}`).join('; ')}`, { hint: 'each error was logged with its fix' });
  }
}
