/** This worker no longer owns a server's state (its lease expired or was taken): stop writing. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';

  constructor(
    readonly stateBlob: string,
    options?: { cause?: unknown },
  ) {
    super(`lost the lease on ${stateBlob}; another worker may own it now, so this one stops without writing`, options);
  }
}
