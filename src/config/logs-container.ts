// The container Azure diagnostic settings write PostgreSQLLogs blobs to (insights-logs-<category>).
// Its own module so the CLI's option definitions do not load the settings schema (zod) to show it.
export const LOGS_CONTAINER = 'insights-logs-postgresqllogs';
