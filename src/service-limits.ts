// The Azure service limits this project relies on, each with the Microsoft page it was read from
// (repository, path and the commit read). The code derives its own bounds from these, and the
// local Logs Ingestion endpoint of the tests enforces them (test/support/logs-ingestion-endpoint.ts),
// so a limit is written once. Where a page says "MB" or "KB" without saying which, the code takes
// the smaller reading (10^6, 10^3), and says so: a request that passes that passes either way.

/** A limit and where it was read. */
export interface SourcedLimit<T = number> {
  readonly value: T;
  /** The page's own words. */
  readonly says: string;
  readonly source: string;
}

const CUSTOM_LOGS_LIMITS = 'MicrosoftDocs/azure-monitor-docs articles/azure-monitor/logs/includes/azure-monitor-limits-custom-logs.md (Logs Ingestion API limits, included in azure-monitor/service-limits.md)';

/** Logs Ingestion API, per call and per data collection rule. */
export const LOGS_INGESTION_LIMITS = {
  /** The documented call size, read as 10^6 bytes (the smaller reading of "1 MB"). */
  callBytes: { value: 1_000_000, says: 'Maximum size of API call: 1 MB, both compressed and uncompressed data.', source: CUSTOM_LOGS_LIMITS },
  /** What the service itself enforces: the number its 413 names. */
  callBytesEnforced: {
    value: 1_048_576,
    says: '413 ContentLengthLimitExceeded: "Maximum allowed content length: 1048576 bytes (1 MB)."',
    source: 'Azure/azure-sdk-for-net, the [LiveOnly] tests of Azure.Monitor.Ingestion (LogsIngestionClient against the real service) assert this 413 message',
  },
  /** A field value longer than this is truncated by the service, silently; read as 64 × 10^3 bytes. */
  fieldBytes: { value: 64_000, says: 'Maximum size for field values: 64 KB. Fields longer than 64 KB are truncated.', source: CUSTOM_LOGS_LIMITS },
  bytesPerMinutePerDcr: { value: 2_000_000_000, says: 'Maximum data/minute per DCR: 2 GB, both compressed and uncompressed data. Retry after the duration listed in the Retry-After header.', source: CUSTOM_LOGS_LIMITS },
  requestsPerMinutePerDcr: { value: 12_000, says: 'Maximum requests/minute per DCR: 12,000. Retry after the duration listed in the Retry-After header.', source: CUSTOM_LOGS_LIMITS },
} as const satisfies Record<string, SourcedLimit>;

const STANDARD_COLUMNS = 'MicrosoftDocs/azure-monitor-docs articles/azure-monitor/logs/log-standard-columns.md @ 04f72d4a9174fd66a95e055400e9b8af4c39872c (TimeGenerated)';

/** Log Analytics replaces a TimeGenerated outside this window around the time it receives the row. */
export const TIME_GENERATED_WINDOW = {
  maxAgeMs: { value: 2 * 86_400_000, says: 'The TimeGenerated value cannot be older than 2 days before received time or more than a day in the future. If […] it would be replaced with the actual received time.', source: STANDARD_COLUMNS },
  maxAheadMs: { value: 86_400_000, says: '… or more than a day in the future …', source: STANDARD_COLUMNS },
} as const satisfies Record<string, SourcedLimit>;

/** Azure Queue Storage: one message, as stored (after the host's base64 encoding). */
export const QUEUE_MESSAGE_BYTES: SourcedLimit = {
  value: 64_000,
  says: 'A queue message can be up to 64 KB in size.',
  source: 'MicrosoftDocs/azure-docs articles/storage/queues/storage-queues-introduction.md',
};

const TIMEOUT_DURATION = 'MicrosoftDocs/azure-docs includes/functions-timeout-duration.md @ 03e5750af10b23b5ba437d5b333ec5e9437844f9';

/** Azure Functions on the Flex Consumption plan: how long one execution may run. */
export const FLEX_CONSUMPTION_TIMEOUT = {
  /** Without host.json's functionTimeout. */
  defaultMinutes: { value: 30, says: 'Flex Consumption plan: Default 30, Maximum Unbounded', source: TIMEOUT_DURATION },
  /** No maximum is enforced (null), but scale-in gives a running execution only this long. */
  maximumMinutes: { value: null, says: "There's no maximum execution timeout duration enforced.", source: TIMEOUT_DURATION },
  scaleInGraceMinutes: { value: 60, says: 'the grace period given to a function execution is 60 minutes during scale in for the Flex Consumption and Premium plans', source: TIMEOUT_DURATION },
  platformUpdateGraceMinutes: { value: 10, says: 'a grace period of 10 minutes is given during platform updates', source: TIMEOUT_DURATION },
} as const satisfies Record<string, SourcedLimit<number | null>>;
