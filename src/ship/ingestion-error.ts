/**
 * A Logs Ingestion upload failed in a way that retrying or dead-lettering cannot help (the
 * request would fail for every row: 401/403 credentials or role, 404 wrong DCR/stream). It
 * replaces the SDK's AggregateLogsUploadError, whose message is broken ("undefined\n}").
 */
export class IngestionError extends Error {
  override readonly name = 'IngestionError';

  constructor(
    message: string,
    readonly context: { readonly status: number | undefined; readonly ruleId: string; readonly stream: string; readonly body: string | null },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
