// The clients a shipping run uses: the Logs Ingestion client (its own retries off), the transport
// through its pipeline, and the blob clients of both accounts, as the app and the CLI build them
// from the same settings.
import type { TokenCredential } from '@azure/identity';
import { LogsIngestionClient, type LogsIngestionClientOptions } from '@azure/monitor-ingestion';
import { blobServiceClient, defaultCredential } from '../config/azure-clients.js';
import type { ShipSettings } from '../config/settings.js';
import { pipelineTransport, type IngestionTransport } from './ingestion-transport.js';
import type { ShipClients } from './ship-context.js';

/**
 * The Logs Ingestion client with its own retries switched off: the pipeline's upload decision
 * (src/ship/upload-decision.ts) decides, so Retry-After and dead-lettering follow one rule.
 */
export function logsIngestionClient(endpoint: string, credential: TokenCredential, extra: LogsIngestionClientOptions = {}): LogsIngestionClient {
  return new LogsIngestionClient(endpoint, credential, { ...extra, retryOptions: { maxRetries: 0 } });
}

/** Requests through that client's own pipeline (its credential, gzip and TLS options). */
export function ingestionTransport(endpoint: string, credential: TokenCredential, extra: LogsIngestionClientOptions = {}): IngestionTransport {
  return pipelineTransport(logsIngestionClient(endpoint, credential, extra), endpoint);
}

/** The clients a shipping run uses, as the app and the CLI build them from the same settings. */
export function shippingClients(s: ShipSettings): ShipClients {
  return {
    logs: blobServiceClient(s.logsStorage, s.clientId),
    state: blobServiceClient(s.stateStorage, s.clientId),
    ingestion: ingestionTransport(s.ingestionEndpoint, defaultCredential(s.clientId)),
  };
}
