/** An input file cannot be read (exit code 1). Carries the path and the underlying cause. */
export class InputError extends Error {
  override readonly name = 'InputError';

  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${message}`, options);
  }
}
