// A local HTTPS Logs Ingestion API that enforces the service's contract, so the real
// @azure/monitor-ingestion client is what the tests exercise: POST
// /dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01, a bearer token issued by the
// managed-identity double, a (gzipped) JSON array of objects of at most 1 MB (uncompressed),
// columns and value types of the PgAudit_CL schema; 204 on success. Faults can be injected.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import selfsigned from 'selfsigned';
import { COLUMNS, type TableColumnType } from '../../src/schema.js';

export const MAX_BODY_BYTES = 1_048_576;

export interface Fault {
  readonly status?: number;
  readonly retryAfter?: string;
  readonly body?: string;
  /** Answer after this long (with the fault's status, or normally when there is none). */
  readonly delayMs?: number;
}

export interface RequestRecord {
  readonly status: number;
  readonly bytes: number;
  readonly wireBytes: number;
  readonly rows: number;
  readonly gzip: boolean;
  readonly at: number;
}

export interface IngestionOptions {
  readonly ruleId: string;
  readonly stream: string;
  readonly validateToken: (token: string) => boolean;
  /** Decides a fault for a request from its rows (after the contract checks pass). */
  readonly onRequest?: (rows: Record<string, unknown>[], index: number) => Fault | null;
}

export interface IngestionHandle {
  readonly endpoint: string;
  readonly ca: string;
  readonly accepted: Record<string, unknown>[];
  readonly requests: RequestRecord[];
  /** Queue faults for the next requests, one per request. */
  inject(...faults: Fault[]): void;
  setOnRequest(fn: IngestionOptions['onRequest'] | undefined): void;
  close(): Promise<void>;
}

const TYPES = new Map<string, TableColumnType>(COLUMNS.map((c) => [c.name, c.type]));
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function fits(type: TableColumnType, v: unknown): boolean {
  if (v === null) return true;
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'int':
      return Number.isInteger(v) && Math.abs(v as number) <= 2 ** 31;
    case 'long':
      return Number.isSafeInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'dateTime':
      return typeof v === 'string' && ISO.test(v) && !Number.isNaN(Date.parse(v));
    case 'dynamic':
      return true;
  }
}

/** The first contract violation of a body's rows, as the service would word it. */
export function violationOf(rows: unknown): string | null {
  if (!Array.isArray(rows)) return 'the body must be a JSON array';
  for (const [i, row] of rows.entries()) {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return `element ${i} is not an object`;
    for (const [k, v] of Object.entries(row as Record<string, unknown>)) {
      const type = TYPES.get(k);
      if (!type) return `element ${i}: column '${k}' is not declared in the stream`;
      if (!fits(type, v)) return `element ${i}: value of '${k}' (${JSON.stringify(v).slice(0, 40)}) is not a ${type}`;
    }
  }
  return null;
}

export async function startIngestionEndpoint(options: IngestionOptions): Promise<IngestionHandle> {
  const pems = selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    days: 1,
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  const accepted: Record<string, unknown>[] = [];
  const requests: RequestRecord[] = [];
  const faults: Fault[] = [];
  let onRequest = options.onRequest;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const wire = Buffer.concat(chunks);
    const gzip = /gzip/i.test(String(req.headers['content-encoding'] ?? ''));
    let bytes = wire.length;
    let rows = 0;
    const finish = (status: number, code?: string, message?: string, headers: Record<string, string> = {}): void => {
      requests.push({ status, bytes, wireBytes: wire.length, rows, gzip, at: Date.now() });
      res.writeHead(status, code ? { 'content-type': 'application/json', ...headers } : headers);
      res.end(code ? JSON.stringify({ error: { code, message } }) : undefined);
    };
    const url = new URL(req.url ?? '/', 'https://localhost');
    const m = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'POST' || !m) return finish(404, 'NotFound', `no such route: ${req.method} ${url.pathname}`);
    if (url.searchParams.get('api-version') !== '2023-01-01') return finish(400, 'InvalidApiVersion', 'api-version must be 2023-01-01');
    const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
    if (!auth?.[1] || !options.validateToken(auth[1])) return finish(401, 'InvalidToken', 'missing or invalid bearer token');
    if (decodeURIComponent(m[1] ?? '') !== options.ruleId) return finish(404, 'DataCollectionRuleNotFound', `unknown DCR ${m[1]}`);
    if (decodeURIComponent(m[2] ?? '') !== options.stream) return finish(404, 'InvalidStream', `unknown stream ${m[2]}`);
    let text: string;
    try {
      const body = gzip ? gunzipSync(wire) : wire;
      bytes = body.length;
      text = body.toString('utf8');
    } catch {
      return finish(400, 'InvalidContentEncoding', 'the body is not valid gzip');
    }
    if (bytes > MAX_BODY_BYTES) return finish(413, 'ContentLengthLimitExceeded', `body of ${bytes} bytes is over ${MAX_BODY_BYTES}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return finish(400, 'InvalidPayload', 'the body is not JSON');
    }
    const violation = violationOf(parsed);
    if (violation) return finish(400, 'InvalidPayload', violation);
    const batch = parsed as Record<string, unknown>[];
    rows = batch.length;
    const fault = faults.shift() ?? onRequest?.(batch, requests.length) ?? null;
    if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.status) {
      return finish(fault.status, 'InjectedFault', fault.body ?? `injected ${fault.status}`, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
    }
    accepted.push(...batch);
    finish(204);
  };

  const server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}`,
    ca: pems.cert,
    accepted,
    requests,
    inject: (...f) => void faults.push(...f),
    setOnRequest: (fn) => (onRequest = fn),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
