// Builds Azure PostgreSQLLogs record lines shaped like the real sample (key order, leading `{ `).
// Test-only: the generator under scripts/fixtures builds the committed fixtures from a real server.

export interface RecordParts {
  message: string;
  errorLevel?: string;
  sqlerrcode?: string;
  processId?: number;
  timestamp?: string;
  detail?: string;
  server?: string;
  category?: string;
  backendType?: string;
}

export function azureRecord(p: RecordParts): Record<string, unknown> {
  const server = p.server ?? 'pgflex-test';
  const timestamp = p.timestamp ?? '2026-07-02 03:00:06.467 UTC';
  const properties: Record<string, unknown> = {
    timestamp,
    processId: p.processId ?? 4242,
    errorLevel: p.errorLevel ?? 'LOG',
    sqlerrcode: p.sqlerrcode ?? '00000',
    backend_type: p.backendType ?? 'client backend',
    message: p.message,
  };
  if (p.detail !== undefined) properties.detail = p.detail;
  return {
    AppImage: 'azurelinux/postgres_standalone_16',
    AppType: 'PostgreSQL',
    AppVersion: 'test',
    Region: 'westeurope',
    category: p.category ?? 'PostgreSQLLogs',
    location: 'westeurope',
    operationName: 'LogEvent',
    properties,
    resourceId: `/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/${server.toUpperCase()}`,
    time: `${timestamp.slice(0, 10)}T${timestamp.slice(11, 23)}Z`,
    ServerType: 'PostgreSQL',
    LogicalServerName: server,
  };
}

/** One JSON Lines line as Azure writes it: `{ "AppImage": …}` (note the space after `{`). */
export function azureLine(p: RecordParts): string {
  return '{ ' + JSON.stringify(azureRecord(p)).slice(1);
}

/** Default Flexible Server prefix `%t-%c-` rendered for a session. */
export function defaultPrefix(session = '6a45d439.151407', time = '2026-07-02 03:00:09 UTC'): string {
  return `${time}-${session}-`;
}
