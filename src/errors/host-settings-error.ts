import { PgAuditError } from './pgaudit-error.js';

/** host.json is not what this release expects (its queue settings): the start stops, naming the file. */
export class HostSettingsError extends PgAuditError {
  override readonly name = 'HostSettingsError';
  readonly exitCode = 2;
}
