// Builds the Azure SDK clients from settings: blob service clients for the logs and state
// accounts, and the Logs Ingestion client. Identity-based access uses a managed identity
// (user-assigned when a client id is given); connection strings are for Azurite only.
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { LogsIngestionClient, type LogsIngestionClientOptions } from '@azure/monitor-ingestion';
import { BlobServiceClient } from '@azure/storage-blob';
import type { StorageConnection } from './storage-connection.js';

/** DefaultAzureCredential honouring AZURE_CLIENT_ID for a user-assigned identity. */
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
 * The Logs Ingestion client with its own retries switched off: the pipeline's retry policy
 * (src/ship/retry-policy.ts) decides, so Retry-After and dead-lettering follow one rule.
 */
export function logsIngestionClient(endpoint: string, credential: TokenCredential, extra: LogsIngestionClientOptions = {}): LogsIngestionClient {
  return new LogsIngestionClient(endpoint, credential, { ...extra, retryOptions: { maxRetries: 0 } });
}
