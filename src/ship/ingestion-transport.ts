// How a request body reaches the Logs Ingestion API: POST {endpoint}/dataCollectionRules/{rule}/
// streams/{stream}?api-version=2023-01-01 through the real @azure/monitor-ingestion client's own
// pipeline, so its credential (bearer token for https://monitor.azure.com), its TLS options and
// user agent apply unchanged, and its gzip policy too, at zlib's fastest level (fastGzipPolicy). The client's upload() is not used: it takes row
// objects and serialises each twice more, and it chunks and retries by its own rules (the
// upload decision, src/ship/upload-decision.ts, is the one rule here).
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest, type HttpClient, type Pipeline, type PipelinePolicy } from '@azure/core-rest-pipeline';

export const INGESTION_API_VERSION = '2023-01-01';

/** The client's own gzip policy (@azure/monitor-ingestion's GZippingPolicy), by its name. */
const CLIENT_GZIP_POLICY = 'GzippingPolicy';
const gzipAsync = promisify(gzip);
/** Output chunk size of the body's gzip: larger than a gzipped request (~0.1 MB at level 1). */
const GZIP_CHUNK_BYTES = 256 * 1024;

/**
 * The client's GZippingPolicy with zlib's fastest level instead of its default (6): gzip is the
 * largest single cost of shipping after parsing itself, level 1 takes about half the CPU for
 * bodies ~20 % larger on the wire, and the service bills the uncompressed rows either way
 * (docs/performance.md). Still zlib's async API, so it runs on libuv's thread pool, with output
 * chunks of GZIP_CHUNK_BYTES: a gzipped 1 MB body fits in one (zlib's default of 16 KiB makes
 * eight round trips to the pool per body, ~30 % more CPU).
 */
export const fastGzipPolicy: PipelinePolicy = {
  name: 'pgauditIngestGzipPolicy',
  async sendRequest(request, next) {
    if (typeof request.body === 'string' || request.body instanceof Uint8Array) request.body = await gzipAsync(request.body, { level: constants.Z_BEST_SPEED, chunkSize: GZIP_CHUNK_BYTES });
    return next(request);
  },
};

export interface IngestionResponse {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly bodyText: string | null;
}

/** Sends one JSON array body (text or its UTF-8 bytes); throws only when no answer came (network, token, abort). */
export interface IngestionTransport {
  post(ruleId: string, stream: string, body: string | Uint8Array, abortSignal: AbortSignal): Promise<IngestionResponse>;
}

export function pipelineTransport(client: { readonly pipeline: Pipeline }, endpoint: string, http: HttpClient = createDefaultHttpClient()): IngestionTransport {
  const base = endpoint.replace(/\/+$/, '');
  // Only when the client has its gzip policy: in its place, the same policy at level 1.
  if (client.pipeline.removePolicy({ name: CLIENT_GZIP_POLICY }).length > 0) client.pipeline.addPolicy(fastGzipPolicy);
  return {
    async post(ruleId, stream, body, abortSignal) {
      const url = `${base}/dataCollectionRules/${encodeURIComponent(ruleId)}/streams/${encodeURIComponent(stream)}?api-version=${INGESTION_API_VERSION}`;
      // The pipeline's gzip policy gzips every body; the request says so, as the SDK's does.
      const headers = createHttpHeaders({ 'content-type': 'application/json', 'content-encoding': 'gzip', accept: 'application/json' });
      const res = await client.pipeline.sendRequest(http, createPipelineRequest({ url, method: 'POST', body, headers, abortSignal }));
      return { status: res.status, retryAfter: res.headers.get('retry-after') ?? null, bodyText: res.bodyAsText ?? null };
    },
  };
}
