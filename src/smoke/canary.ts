// The smoke test's canary: one small diagnostic blob in exactly the shape Azure writes for a
// Flexible Server (JSON Lines, a space after the opening brace, `properties` compact, the default
// `%t-%c-` prefix), holding one session: connection lines and three pgAudit entries. Its
// subscription is all zeros, its resource group PGAUDIT-SMOKE-TEST and its server
// pgaudit-smoke-<id>, so it can never be taken for evidence of a real server, and its random id
// makes its path new (the write is conditional as well). The statements carry the same id (the
// marker the queries look for). Pure: no I/O; the expected rows come from the project's own pipeline.
import { AuditPipeline } from '../pipeline/audit-pipeline.js';
import { chunkRows } from '../pipeline/chunk-rows.js';
import { hourlyBlobName } from '../read/blob-path.js';

export const SMOKE_SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';
export const SMOKE_RESOURCE_GROUP = 'PGAUDIT-SMOKE-TEST';
export const SMOKE_SERVER_PREFIX = 'pgaudit-smoke-';
export const SMOKE_USER = 'pgaudit_smoke';

export interface Canary {
  /** Lower-case random id (hex), also the marker's tail. */
  readonly id: string;
  /** ServerName in PgAudit_CL (lower case, as the pipeline writes it). */
  readonly serverName: string;
  /** `resourceId=/SUBSCRIPTIONS/…/FLEXIBLESERVERS/<NAME>/`: the prefix of its blobs. */
  readonly serverPath: string;
  /** The container-relative blob name (the hour of `at`). */
  readonly blobName: string;
  /** A text every audited statement contains: `pgaudit_smoke_<id>`. */
  readonly marker: string;
  readonly bytes: Buffer;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `2026-12-02 18:25:09.601 UTC` (properties.timestamp) and, without ms, `%t`. */
function pgTime(at: Date, ms: boolean): string {
  const base = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
  return `${ms ? `${base}.${pad(at.getUTCMilliseconds(), 3)}` : base} UTC`;
}

/** One line as Azure writes it: `{ "k": v, …}` with `properties` as `{"k": v,…}` (the real sample's spacing). */
function azureLine(fields: ReadonlyArray<readonly [string, unknown]>): string {
  const value = (k: string, v: unknown): string =>
    k === 'properties' ? `{${Object.entries(v as Record<string, unknown>).map(([pk, pv]) => `${JSON.stringify(pk)}: ${JSON.stringify(pv)}`).join(',')}}` : JSON.stringify(v);
  return `{ ${fields.map(([k, v]) => `${JSON.stringify(k)}: ${value(k, v)}`).join(', ')}}`;
}

export function serverPathOf(serverName: string): string {
  return `resourceId=/SUBSCRIPTIONS/${SMOKE_SUBSCRIPTION}/RESOURCEGROUPS/${SMOKE_RESOURCE_GROUP}/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/${serverName.toUpperCase()}/`;
}

/** The canary for `id` (lower-case hex) written at `at`; `version` goes into AppVersion. */
export function createCanary(id: string, at: Date, version: string): Canary {
  if (!/^[0-9a-f]{6,32}$/.test(id)) throw new Error(`canary id must be 6-32 lower-case hex digits (got ${JSON.stringify(id)})`);
  const serverName = `${SMOKE_SERVER_PREFIX}${id}`;
  const serverPath = serverPathOf(serverName);
  const marker = `pgaudit_smoke_${id}`;
  const pid = 10_000 + (parseInt(id.slice(0, 4), 16) % 50_000);
  // %c: the backend's start time and pid in hex, as PostgreSQL prints it.
  const session = `${Math.floor(at.getTime() / 1000).toString(16)}.${pid.toString(16)}`;
  const client = 'host=192.0.2.10 port=50432'; // TEST-NET-1 (RFC 5737): an address no client has
  const messages: Array<[backendType: string, message: string]> = [
    ['not initialized', `connection received: ${client}`],
    ['client backend', `connection authorized: user=${SMOKE_USER} database=postgres application_name=pgaudit-ingest-smoke`],
    // MISC (SET/RESET of harmless settings): no alert or detection rule fires on these (DDL would
    // trip the change-window alert), and tiering keeps MISC in PgAudit_CL by default.
    ['client backend', `AUDIT: SESSION,1,1,MISC,SET,,,SET application_name = '${marker}',<none>`],
    ['client backend', `AUDIT: SESSION,2,1,MISC,SET,,,SET statement_timeout = '30s' /* ${marker}: pgaudit-ingest smoke test; not evidence */,<none>`],
    ['client backend', `AUDIT: SESSION,3,1,MISC,RESET,,,RESET statement_timeout /* ${marker} */,<none>`],
    ['client backend', `disconnection: session time: 0:00:00.012 user=${SMOKE_USER} database=postgres ${client}`],
  ];
  const resourceId = `/SUBSCRIPTIONS/${SMOKE_SUBSCRIPTION}/RESOURCEGROUPS/${SMOKE_RESOURCE_GROUP}/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/${serverName.toUpperCase()}`;
  const lines = messages.map(([backendType, message], i) => {
    const t = new Date(at.getTime() + i); // one millisecond apart, in order
    return azureLine([
      ['AppImage', 'pgaudit-ingest-smoke'],
      ['AppType', 'PostgreSQL'],
      ['AppVersion', version],
      ['Region', 'smoke-test'],
      ['category', 'PostgreSQLLogs'],
      ['location', 'smoke-test'],
      ['operationName', 'LogEvent'],
      ['properties', { timestamp: pgTime(t, true), processId: pid, errorLevel: 'LOG', sqlerrcode: '00000', backend_type: backendType, message: `${pgTime(t, false)}-${session}-LOG:  ${message}` }],
      ['resourceId', resourceId],
      ['time', t.toISOString()],
      ['ServerType', 'PostgreSQL'],
      ['LogicalServerName', serverName],
      ['ServerVersion', 'pgaudit-ingest-smoke'],
      ['ServerLocation', 'smoke-test'],
      ['ReplicaRole', 'Primary'],
      ['OriginalPrimaryServerName', serverName],
    ]);
  });
  // Every line ends with a newline: the shipper sends complete lines only.
  return { id, serverName, serverPath, blobName: hourlyBlobName(serverPath, at), marker, bytes: Buffer.from(lines.map((l) => `${l}\n`).join('')) };
}

/** Rows the canary makes, by EventType, as this release's pipeline (default settings) makes them. */
export async function expectedRows(canary: Canary): Promise<Record<string, number>> {
  const pipeline = new AuditPipeline();
  const counts: Record<string, number> = {};
  for await (const batch of chunkRows([canary.bytes], pipeline, { sourceBlob: canary.blobName, final: true })) {
    for (const row of batch.rows) counts[String(row.EventType)] = (counts[String(row.EventType)] ?? 0) + 1;
  }
  return counts;
}
