// Builds the Azure SDK clients from settings: blob service clients for the logs and state
// accounts, and the Logs Ingestion client. Identity-based access uses a managed identity
// (user-assigned when a client id is given) or DefaultAzureCredential; connection strings are
// for Azurite only.
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { LogsIngestionClient, type LogsIngestionClientOptions } from '@azure/monitor-ingestion';
import { BlobServiceClient } from '@azure/storage-blob';
import { pipelineTransport, type IngestionTransport } from '../ship/ingestion-transport.js';
import type { ShipClients } from '../ship/ship-context.js';
import type { ShipSettings } from './settings.js';
import type { StorageConnection } from './storage-connection.js';

/** DefaultAzureCredential honouring a user-assigned identity's client id. */
export function defaultCredential(clientId: string | undefined): TokenCredential {
  return clientId ? new DefaultAzureCredential({ managedIdentityClientId: clientId }) : new DefaultAzureCredential();
}

export function blobServiceClient(conn: StorageConnection, fallbackClientId: string | undefined): BlobServiceClient {
  if (conn.kind === 'connection-string') return BlobServiceClient.fromConnectionString(conn.connectionString);
  const clientId = conn.clientId ?? fallbackClientId;
  const credential = conn.managedIdentity ? new ManagedIdentityCredential(clientId ? { clientId } : {}) : defaultCredential(clientId);
  return new BlobServiceClient(conn.blobServiceUri, credential);
}

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
