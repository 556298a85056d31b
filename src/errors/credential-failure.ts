/**
 * Whether an error is @azure/identity failing to produce a token (nothing was sent to the
 * service). Matched by name: the SDK's classes may come from another copy of the package.
 */
export function isCredentialFailure(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'CredentialUnavailableError' || name === 'AuthenticationError' || name === 'AggregateAuthenticationError';
}
