/** The command line cannot be used as given (exit code 2). The message says what to change. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
