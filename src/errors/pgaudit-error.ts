// The one error base class. Every failure a user can act on is a PgAuditError: its message says
// what went wrong and where, `hint` says what to do, `exitCode` is what the CLI returns (1: an
// input or a service could not be used, 2: the command line or settings are wrong). Anything
// else that reaches the top is a bug and is printed with its stack.

export interface PgAuditErrorOptions {
  readonly hint?: string;
  readonly cause?: unknown;
}

export abstract class PgAuditError extends Error {
  abstract readonly exitCode: 1 | 2;
  /** A short machine-readable code (run records, logs); defaults to the class name. */
  readonly code: string;
  readonly hint: string | undefined;

  constructor(message: string, options: PgAuditErrorOptions & { code?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
    this.code = options.code ?? new.target.name;
  }

  /** The message and, when there is one, the hint: the one line the CLI and the logs print. */
  describe(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}
