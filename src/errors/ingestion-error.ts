import { PgAuditError } from './pgaudit-error.js';

/** Why an upload stopped the run (src/ship/upload-decision.ts decides). */
export type StopCode = 'IngestionUnauthorized' | 'IngestionForbidden' | 'IngestionNotFound' | 'IngestionUnavailable' | 'IngestionNoToken' | 'RunBudgetSpent';

/**
 * An upload stopped the run (upload-decision.ts → Stop): the configuration is wrong (401/403/404),
 * no token could be had, the endpoint stayed unavailable, or the run's time budget ran out.
 * Nothing was dead-lettered and the checkpoint was not moved. Replaces the SDK's
 * AggregateLogsUploadError, whose message is broken ("undefined\n}").
 */
export class IngestionError extends PgAuditError {
  override readonly name = 'IngestionError';
  readonly exitCode = 1;

  constructor(
    message: string,
    readonly context: { readonly code: StopCode; readonly status: number | undefined; readonly ruleId: string; readonly stream: string; readonly body: string | null },
    options: { hint: string; cause?: unknown },
  ) {
    super(message, { ...options, code: context.code });
  }
}
