// The credential and the blob service clients from settings. Identity-based access uses a managed
// identity (user-assigned when a client id is given) or DefaultAzureCredential; connection strings
// are for Azurite only. The Logs Ingestion client and a run's clients are src/ship/ship-clients.ts.
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
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
