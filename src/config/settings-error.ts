/** The function app's settings are missing or invalid; the message lists every problem. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';

  constructor(readonly problems: readonly string[]) {
    super(`invalid pgaudit-ingest settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
