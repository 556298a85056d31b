// A local HTTPS Logs Ingestion API holding the service's contract, so the real
// @azure/monitor-ingestion client is what tests exercise. Checks, in order:
//   route  POST /dataCollectionRules/{ruleId}/streams/{stream}       else 404 NotFound
//   api-version=2023-01-01                                           else 400 InvalidApiVersion
//   Authorization: Bearer <token> with validateToken(token)          else 401 InvalidToken
//   ruleId / stream (the main one or moreStreams) configured at start else 404 DataCollectionRuleNotFound / InvalidStream
//   body size ≤ 1,048,576 bytes                                      else 413 ContentLengthLimitExceeded
//   Content-Encoding gzip (or none) that decodes                     else 400 InvalidContentEncoding
//   a JSON array of objects, keys = that stream's columns, values fit else 400 InvalidPayload
//   then the injected fault, if any; else the rows are stored        → 204
// Errors carry the service's body shape {"error":{"code","message"}}.
//
// Size: the service answers 413 {"error":{"code":"ContentLengthLimitExceeded","message":"Maximum
// allowed content length: 1048576 bytes (1 MB). Provided content length: …"}}, i.e. it measures
// the request's content length (the wire, gzipped when compressed); Microsoft's docs say the 1 MB
// applies to compressed and uncompressed data. The default here, measure 'uncompressed', is the
// stricter reading (uncompressed JSON ≤ 1 MiB; the wire is then smaller too): a client that passes
// here passes there. measure 'wire' imitates the service's observed check only.
// Schema: stricter than the service, which may silently drop undeclared columns or values it
// cannot convert; here they are a 400 so that tests catch them.
// The SDK refuses bearer tokens over plain http, so this is https with a self-signed certificate
// for 127.0.0.1/localhost; trust it with trustingClientOptions(handle) (tlsOptions.ca of
// @azure/core-rest-pipeline — no NODE_EXTRA_CA_CERTS, nothing global).
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:https';
import { gunzipSync } from 'node:zlib';
import type { LogsIngestionClientOptions } from '@azure/monitor-ingestion';
import { COLUMNS, type TableColumnType } from '../../src/schema.js';
import { LOGS_INGESTION_LIMITS } from '../../src/service-limits.js';
import { startHttpsDouble } from './https-double.js';

export const INGESTION_API_VERSION = '2023-01-01';
/** What the service enforces (src/service-limits.ts, with its source). */
export const MAX_BODY_BYTES = LOGS_INGESTION_LIMITS.callBytesEnforced.value;

/** Column types of Log Analytics custom tables (a superset of what src/schema.ts uses today). */
export type IngestionColumnType = TableColumnType | 'real' | 'guid';

export interface Fault {
  readonly status?: number;
  readonly retryAfter?: string;
  /** Error message (wrapped as {"error":{"code","message"}}) unless rawBody is set. */
  readonly body?: string;
  readonly code?: string;
  /** Sent verbatim as the response body (content-type application/json). */
  readonly rawBody?: string;
  /** Answer after this long (with the fault's status, or normally when there is none). */
  readonly delayMs?: number;
  /** Destroy the connection without an answer (a network error for the client). */
  readonly reset?: boolean;
}

export interface RequestRecord {
  readonly status: number;
  /** Uncompressed body bytes (the wire bytes when the body could not be decoded). */
  readonly bytes: number;
  readonly wireBytes: number;
  readonly rows: number;
  readonly gzip: boolean;
  readonly at: number;
  readonly code?: string;
  /** The stream of the request (absent when the route did not name a stream). */
  readonly stream?: string;
}

export interface RequestContext {
  /** Number of requests answered before this one. */
  readonly index: number;
  /** The stream the request was sent to. */
  readonly stream: string;
  readonly headers: IncomingHttpHeaders;
  readonly gzip: boolean;
}

/** Decides a fault for a valid request from its rows (when no injected fault is queued). */
export type OnRequest = (rows: Record<string, unknown>[], index: number, context: RequestContext) => Fault | null | undefined;

export interface IngestionOptions {
  readonly ruleId: string;
  readonly stream: string;
  readonly validateToken: (token: string) => boolean;
  readonly onRequest?: OnRequest;
  /** Columns of the stream (default: COLUMNS of src/schema.ts). */
  readonly columns?: readonly { readonly name: string; readonly type: IngestionColumnType }[];
  /** More streams of the same DCR and their columns (the run records' stream). */
  readonly moreStreams?: Readonly<Record<string, readonly { readonly name: string; readonly type: IngestionColumnType }[]>>;
  /** Which size the 1 MiB limit applies to (default 'uncompressed'; see the header note). */
  readonly measure?: 'uncompressed' | 'wire';
  readonly maxBodyBytes?: number;
  /**
   * Accept every well-formed request without reading its rows (benchmarks: the shipper, not
   * this double, is measured). Rows are then not stored, and `rows` counts top-level objects.
   */
  readonly countOnly?: boolean;
}

export interface IngestionHandle {
  /** `https://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** PEM of the self-signed certificate (its own CA). */
  readonly ca: string;
  /** Rows accepted on the main stream (`stream`). */
  readonly accepted: Record<string, unknown>[];
  /** Rows accepted on any stream of the DCR. */
  acceptedOn(stream: string): Record<string, unknown>[];
  readonly requests: RequestRecord[];
  /** Queue faults for the next valid requests, one per request. */
  inject(...faults: Fault[]): void;
  setOnRequest(fn: OnRequest | undefined): void;
  /** Empty accepted, requests and the fault queue. */
  reset(): void;
  /** `/dataCollectionRules/<ruleId>/streams/<stream>?api-version=2023-01-01` with overrides. */
  path(over?: { ruleId?: string; stream?: string; apiVersion?: string | null }): string;
  close(): Promise<void>;
}

/** Between two rows of a body (every row starts with TimeGenerated): counted, not parsed, in countOnly mode. */
const ROW_SEPARATOR = Buffer.from('},{"TimeGenerated"');
function occurrences(body: Buffer, needle: Buffer): number {
  let n = 0;
  for (let at = body.indexOf(needle); at >= 0; at = body.indexOf(needle, at + needle.length)) n++;
  return n;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function fitsColumn(type: IngestionColumnType, v: unknown): boolean {
  if (v === null) return true;
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'int':
      return Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31;
    case 'long':
      return Number.isSafeInteger(v);
    case 'real':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'dateTime':
      return typeof v === 'string' && ISO.test(v) && !Number.isNaN(Date.parse(v));
    case 'guid':
      return typeof v === 'string' && GUID.test(v);
    case 'dynamic':
      return true;
  }
}

/** The first contract violation of a body's rows, as the service would word it; null when fine. */
export function violationOf(rows: unknown, columns: IngestionOptions['columns'] = COLUMNS): string | null {
  const types = new Map<string, IngestionColumnType>(columns.map((c) => [c.name, c.type]));
  if (!Array.isArray(rows)) return 'the body must be a JSON array';
  for (const [i, row] of rows.entries()) {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return `element ${i} is not an object`;
    for (const [k, v] of Object.entries(row as Record<string, unknown>)) {
      const type = types.get(k);
      if (!type) return `element ${i}: column '${k}' is not declared in the stream`;
      if (!fitsColumn(type, v)) return `element ${i}: value of '${k}' (${JSON.stringify(v).slice(0, 40)}) is not a ${type}`;
    }
  }
  return null;
}

export async function startIngestionEndpoint(options: IngestionOptions): Promise<IngestionHandle> {
  const streams = new Map<string, NonNullable<IngestionOptions['columns']>>([[options.stream, options.columns ?? COLUMNS], ...Object.entries(options.moreStreams ?? {})]);
  const acceptedBy = new Map<string, Record<string, unknown>[]>([...streams.keys()].map((s) => [s, []]));
  const accepted = acceptedBy.get(options.stream)!;
  const requests: RequestRecord[] = [];
  const faults: Fault[] = [];
  const maxBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  let onRequest = options.onRequest;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const wire = Buffer.concat(chunks);
    const encoding = String(req.headers['content-encoding'] ?? '').trim().toLowerCase();
    const gzip = encoding === 'gzip';
    let bytes = wire.length;
    let rows = 0;
    const url = new URL(req.url ?? '/', 'https://localhost');
    const m = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
    const stream = m ? decodeURIComponent(m[2] ?? '') : undefined;
    const finish = (status: number, code?: string, message?: string, headers: Record<string, string> = {}, raw?: string): void => {
      requests.push({ status, bytes, wireBytes: wire.length, rows, gzip, at: Date.now(), ...(code ? { code } : {}), ...(stream ? { stream } : {}) });
      const body = raw ?? (code ? JSON.stringify({ error: { code, message } }) : undefined);
      res.writeHead(status, body !== undefined ? { 'content-type': 'application/json', ...headers } : headers);
      res.end(body);
    };
    if (req.method !== 'POST' || !m || stream === undefined) return finish(404, 'NotFound', `no such route: ${req.method} ${url.pathname}`);
    if (url.searchParams.get('api-version') !== INGESTION_API_VERSION) {
      return finish(400, 'InvalidApiVersion', `The api-version '${url.searchParams.get('api-version') ?? ''}' is invalid; supported: ${INGESTION_API_VERSION}`);
    }
    const auth = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''));
    if (!auth?.[1] || !options.validateToken(auth[1])) return finish(401, 'InvalidToken', 'The bearer token is missing, invalid or expired');
    const ruleId = decodeURIComponent(m[1] ?? '');
    if (ruleId !== options.ruleId) return finish(404, 'DataCollectionRuleNotFound', `Data collection rule with immutable Id '${ruleId}' not found`);
    const columns = streams.get(stream);
    if (!columns) return finish(404, 'InvalidStream', `Stream '${stream}' is not declared in data collection rule '${ruleId}'`);
    const tooLarge = (n: number): void => finish(413, 'ContentLengthLimitExceeded', `Maximum allowed content length: ${maxBytes} bytes (1 MB). Provided content length: ${n} bytes.`);
    if (wire.length > maxBytes) return tooLarge(wire.length);
    if (encoding !== '' && encoding !== 'gzip' && encoding !== 'identity') return finish(400, 'InvalidContentEncoding', `Content-Encoding '${encoding}' is not supported`);
    let body: Buffer;
    try {
      body = gzip ? gunzipSync(wire) : wire;
    } catch {
      return finish(400, 'InvalidContentEncoding', 'The body is not valid gzip');
    }
    bytes = body.length;
    if (options.measure !== 'wire' && bytes > maxBytes) return tooLarge(bytes);
    if (options.countOnly) {
      if (body[0] !== 0x5b || body[body.length - 1] !== 0x5d) return finish(400, 'InvalidPayload', 'The body is not a JSON array');
      rows = (body.length > 2 ? 1 : 0) + occurrences(body, ROW_SEPARATOR);
      return finish(204);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return finish(400, 'InvalidPayload', 'The body is not valid JSON');
    }
    const violation = violationOf(parsed, columns);
    if (violation) return finish(400, 'InvalidPayload', violation);
    const batch = parsed as Record<string, unknown>[];
    rows = batch.length;
    const fault = faults.shift() ?? onRequest?.(batch, requests.length, { index: requests.length, stream, headers: req.headers, gzip }) ?? null;
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.reset) {
      requests.push({ status: 0, bytes, wireBytes: wire.length, rows, gzip, at: Date.now(), code: 'ConnectionReset' });
      req.socket.destroy();
      return;
    }
    if (fault?.status) {
      const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {};
      return finish(fault.status, fault.code ?? 'InjectedFault', fault.body ?? `injected HTTP ${fault.status}`, headers, fault.rawBody);
    }
    acceptedBy.get(stream)!.push(...batch);
    finish(204);
  };

  const server = await startHttpsDouble('localhost', handle);
  return {
    endpoint: server.endpoint,
    ca: server.ca,
    accepted,
    acceptedOn: (s) => acceptedBy.get(s) ?? [],
    requests,
    inject: (...f) => void faults.push(...f),
    setOnRequest: (fn) => void (onRequest = fn),
    reset: () => {
      for (const rows of acceptedBy.values()) rows.length = 0;
      requests.length = 0;
      faults.length = 0;
    },
    path: (over = {}) => {
      const v = over.apiVersion === undefined ? INGESTION_API_VERSION : over.apiVersion;
      const p = `/dataCollectionRules/${encodeURIComponent(over.ruleId ?? options.ruleId)}/streams/${encodeURIComponent(over.stream ?? options.stream)}`;
      return v === null ? p : `${p}?api-version=${v}`;
    },
    close: () => server.close(),
  };
}

/**
 * Client options that make the SDK trust exactly this endpoint's certificate: pass as `extra` to
 * logsIngestionClient(endpoint, credential, extra) of src/config/azure-clients.ts (or to
 * `new LogsIngestionClient(endpoint, credential, options)`). @azure/core-rest-pipeline turns
 * tlsOptions into its tlsPolicy, and its node HTTP client into an https.Agent({ ca }).
 */
export function trustingClientOptions(handle: Pick<IngestionHandle, 'ca'>): LogsIngestionClientOptions {
  return { tlsOptions: { ca: handle.ca } };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** POSTs a raw body to the endpoint (for what the SDK never sends: no token, > 1 MB, bad versions). */
export function postRaw(handle: Pick<IngestionHandle, 'endpoint' | 'ca'>, path: string, body: Buffer | string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, handle.endpoint), { method: 'POST', ca: handle.ca, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
