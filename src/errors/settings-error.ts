import { PgAuditError } from './pgaudit-error.js';

/** Settings (app settings or CLI options) are missing or invalid; the message lists every problem. */
export class SettingsError extends PgAuditError {
  override readonly name = 'SettingsError';
  readonly exitCode = 2;

  constructor(readonly problems: readonly string[]) {
    // Each problem names the setting and what a valid value looks like: no hint to add.
    super(problems.length === 1 ? problems[0]! : `invalid pgaudit-ingest settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
