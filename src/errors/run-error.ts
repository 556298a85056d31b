// A failure as logs, run records and the CLI show it: code, message, hint. PgAuditErrors carry
// their own; the SDKs' storage and credential errors get one here; anything else is unexpected.
import { isCredentialFailure } from './credential-failure.js';
import { PgAuditError } from './pgaudit-error.js';

/** A failure that stopped a server or a run. */
export interface RunError {
  /** The server path, or null for the whole run. */
  readonly server: string | null;
  readonly code: string;
  readonly message: string;
  readonly hint: string | null;
}

export function runErrorOf(server: string | null, err: unknown): RunError {
  if (err instanceof PgAuditError) return { server, code: err.code, message: err.message, hint: err.hint ?? null };
  const first = (m: string | undefined): string => (m ?? '').split('\n')[0] ?? '';
  const e = err as { name?: string; statusCode?: number; code?: string; message?: string } | null;
  if (isCredentialFailure(err)) {
    return { server, code: 'NoToken', message: `could not get a token: ${first(e?.message)}`, hint: 'sign in (az login) or run where a managed identity is available; check AZURE_CLIENT_ID' };
  }
  if (e?.name === 'RestError') {
    const status = e.statusCode ? ` with HTTP ${e.statusCode}` : '';
    return {
      server,
      code: `Storage${e.statusCode ?? 'Unreachable'}`,
      message: `storage request failed${status}${e.code ? ` (${e.code})` : ''}: ${first(e.message)}`,
      hint: e.statusCode === 403 ? 'the identity lacks a data-plane role on that account (pgaudit-ingest check names it)' : 'check the storage account (--storage, --state-storage) and that it is reachable',
    };
  }
  return { server, code: 'Unexpected', message: err instanceof Error ? err.message : String(err), hint: null };
}
