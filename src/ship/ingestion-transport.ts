// How a request body reaches the Logs Ingestion API: POST {endpoint}/dataCollectionRules/{rule}/
// streams/{stream}?api-version=2023-01-01 through the real @azure/monitor-ingestion client's own
// pipeline, so its credential (bearer token for https://monitor.azure.com), its gzip policy, its
// TLS options and user agent apply unchanged. The client's upload() is not used: it takes row
// objects and serialises each twice more, and it chunks and retries by its own rules (the
// upload decision, src/ship/upload-decision.ts, is the one rule here).
import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest, type HttpClient, type Pipeline } from '@azure/core-rest-pipeline';

export const INGESTION_API_VERSION = '2023-01-01';

export interface IngestionResponse {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly bodyText: string | null;
}

/** Sends one JSON array body; throws only when no answer came (network, token, abort). */
export interface IngestionTransport {
  post(ruleId: string, stream: string, body: string, abortSignal: AbortSignal): Promise<IngestionResponse>;
}

export function pipelineTransport(client: { readonly pipeline: Pipeline }, endpoint: string, http: HttpClient = createDefaultHttpClient()): IngestionTransport {
  const base = endpoint.replace(/\/+$/, '');
  return {
    async post(ruleId, stream, body, abortSignal) {
      const url = `${base}/dataCollectionRules/${encodeURIComponent(ruleId)}/streams/${encodeURIComponent(stream)}?api-version=${INGESTION_API_VERSION}`;
      // The pipeline's GZippingPolicy gzips every body; the request says so, as the SDK's does.
      const headers = createHttpHeaders({ 'content-type': 'application/json', 'content-encoding': 'gzip', accept: 'application/json' });
      const res = await client.pipeline.sendRequest(http, createPipelineRequest({ url, method: 'POST', body, headers, abortSignal }));
      return { status: res.status, retryAfter: res.headers.get('retry-after') ?? null, bodyText: res.bodyAsText ?? null };
    },
  };
}
