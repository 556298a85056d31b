// A local HTTPS Logs Query API (the Log Analytics query endpoint), so the real LogsQueryClient of
// @azure/monitor-query is what `pgaudit-ingest smoke` uses in tests. It answers from what the
// local Logs Ingestion endpoint accepted: every query is checked by Kusto.Language against the
// tables' columns (an unknown table or column is the service's 400) and then evaluated by the
// test KQL interpreter (test/detections/kql-eval.ts) over those rows. Checks, in order:
//   route   POST /v1/workspaces/{workspaceId}/query, or /v1/{workspace resource id}/query
//                                                         else 404 NotFound
//   Authorization: Bearer <token> with validateToken      else 401 InvalidAuthenticationTokenAudience
//   the workspace (id or resource id) is the one served   else 404 WorkspaceNotFoundError
//   forbid() not in force                                 else 403 InsufficientAccessError
//   body {"query": …} that passes Kusto.Language          else 400 BadArgumentError / SemanticError
// and answers 200 {"tables":[{"name":"PrimaryResult","columns":[{name,type}],"rows":[[…]]}]}, as
// the service does: datetime as ISO text, dynamic values as JSON text (the client parses both).
// The SDK refuses bearer tokens over http, hence https with a self-signed certificate (ca).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startHttpsDouble } from './https-double.js';
import { KqlEval, type TRow, type Value } from '../detections/kql-eval.js';
import { checkKql, errorsOf, resultColumns, type ColumnSpec } from '../helpers/kusto.js';

/** The audience LogsQueryClient asks tokens for (KnownMonitorLogsQueryAudience.AzurePublicCloud). */
export const LOGS_QUERY_AUDIENCE = 'https://api.loganalytics.io';

export interface QueryOptions {
  /** The workspace id (GUID) served. */
  readonly workspaceId: string;
  /** Its resource id (/subscriptions/…/workspaces/<name>), served too. */
  readonly resourceId: string;
  readonly validateToken: (token: string) => boolean;
  /** Column types of each table. */
  readonly schemas: Readonly<Record<string, readonly ColumnSpec[]>>;
  /** The rows of each table now (read at every query). */
  readonly rows: () => Readonly<Record<string, readonly Record<string, unknown>[]>>;
}

export interface QueryRecord {
  readonly status: number;
  readonly query: string | null;
  readonly path: string;
  readonly at: number;
}

export interface QueryHandle {
  /** `https://127.0.0.1:<port>`: the `endpoint` of LogsQueryClient (it adds /v1). */
  readonly endpoint: string;
  readonly ca: string;
  readonly requests: QueryRecord[];
  /** Answer 403 (the caller lacks a role on the workspace) until called with false. */
  forbid(on?: boolean): void;
  close(): Promise<void>;
}

const toValue = (v: unknown): Value => (v === undefined ? null : (v as Value));

export async function startQueryEndpoint(options: QueryOptions): Promise<QueryHandle> {
  const requests: QueryRecord[] = [];
  let forbidden = false;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'https://localhost');
    let query: string | null = null;
    const send = (status: number, body: unknown): void => {
      requests.push({ status, query, path: url.pathname, at: Date.now() });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    const fail = (status: number, code: string, message: string, inner?: { code: string; message: string }): void =>
      send(status, { error: { code, message, correlationId: '00000000-0000-0000-0000-000000000000', ...(inner ? { innererror: inner } : {}) } });

    const m = /^\/v1\/(?:workspaces\/([^/]+)|(subscriptions\/.+\/workspaces\/[^/]+))\/query$/i.exec(url.pathname);
    if (req.method !== 'POST' || !m) return fail(404, 'NotFound', `no such route: ${req.method} ${url.pathname}`);
    const auth = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''));
    if (!auth?.[1] || !options.validateToken(auth[1])) return fail(401, 'InvalidAuthenticationTokenAudience', 'The access token is missing, invalid, expired or for another audience');
    const known = m[1] !== undefined ? decodeURIComponent(m[1]).toLowerCase() === options.workspaceId.toLowerCase() : `/${m[2]}`.toLowerCase() === options.resourceId.toLowerCase();
    if (!known) return fail(404, 'WorkspaceNotFoundError', `The workspace could not be found: ${m[1] ?? m[2]}`);
    if (forbidden) return fail(403, 'InsufficientAccessError', 'The provided credentials have insufficient access to perform the requested operation');
    let body: { query?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query?: unknown };
    } catch {
      return fail(400, 'BadArgumentError', 'The request body is not JSON');
    }
    if (typeof body.query !== 'string') return fail(400, 'BadArgumentError', 'The request had some invalid properties', { code: 'QueryValidationError', message: 'query is required' });
    query = body.query;
    const problems = errorsOf(checkKql(query, options.schemas));
    if (problems.length > 0) return fail(400, 'BadArgumentError', 'The request had some invalid properties', { code: 'SemanticError', message: problems.map((p) => p.message).join('; ') });

    const now = options.rows();
    const tables = Object.fromEntries(Object.keys(options.schemas).map((t) => [t, (now[t] ?? []).map((r, i): TRow => ({ values: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, toValue(v)])), ids: new Set([i]) }))]));
    const result = new KqlEval({ tables, now: Date.now(), schemas: options.schemas }).run(query);
    const columns = resultColumns(query, options.schemas) ?? [];
    const cell = (type: string, v: Value): unknown => (v === null ? null : type === 'dynamic' ? JSON.stringify(v) : v);
    send(200, {
      tables: [{ name: 'PrimaryResult', columns: columns.map((c) => ({ name: c.name, type: c.type })), rows: result.map((r) => columns.map((c) => cell(c.type, r.values[c.name] ?? null))) }],
    });
  };

  const server = await startHttpsDouble('pgaudit-logs-query-double', handle);
  return {
    endpoint: server.endpoint,
    ca: server.ca,
    requests,
    forbid: (on = true) => void (forbidden = on),
    close: () => server.close(),
  };
}
