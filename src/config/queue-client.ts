// The queue service of the state account, which carries the server queue (docs/deploy.md
// "Scale-out"). In Azure the connection is identity-based: `PGAUDIT_STATE_STORAGE__queueServiceUri`
// (the setting the Functions host reads for the queue trigger), or, when only a blob service URI
// is known (the CLI's `--state-storage https://<account>.blob.core.windows.net`), the same URI
// with `.blob.` replaced by `.queue.` (Azure's endpoint naming). A connection string (Azurite)
// must name the queue endpoint itself (`QueueEndpoint=…`, or `UseDevelopmentStorage=true`).
import { ManagedIdentityCredential } from '@azure/identity';
import { QueueServiceClient, type StoragePipelineOptions } from '@azure/storage-queue';
import { QueueConnectionError } from '../errors/queue-connection-error.js';
import { defaultCredential } from './azure-clients.js';
import type { StorageConnection } from './storage-connection.js';

const HINT = 'set PGAUDIT_STATE_STORAGE__queueServiceUri=https://<account>.queue.core.windows.net (identity), or add QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1 to the connection string (Azurite)';

/** The queue service URI of an identity-based connection: given, or derived from the blob one. */
export function queueServiceUriOf(conn: Extract<StorageConnection, { kind: 'identity' }>): string {
  if (conn.queueServiceUri) return conn.queueServiceUri;
  const url = new URL(conn.blobServiceUri);
  const labels = url.hostname.split('.');
  // <account>.blob.core.windows.net (and sovereign clouds, <account>.blob.core.chinacloudapi.cn).
  if (labels[1] !== 'blob') throw new QueueConnectionError(`cannot derive the queue service from ${conn.blobServiceUri}: its host is not <account>.blob.<suffix>`, { hint: HINT, code: 'QueueEndpointUnknown' });
  labels[1] = 'queue';
  url.hostname = labels.join('.');
  return url.toString().replace(/\/$/, '');
}

/** Whether a connection string names a queue endpoint the SDK will use as given. */
function namesQueueEndpoint(cs: string): boolean {
  if (/(^|;)\s*QueueEndpoint=/i.test(cs) || /^\s*UseDevelopmentStorage=true/i.test(cs)) return true;
  // An account string without explicit endpoints: the SDK builds <account>.queue.<EndpointSuffix>,
  // the same account as the blob endpoint. With BlobEndpoint given it would build a different one.
  return !/(^|;)\s*BlobEndpoint=/i.test(cs) && /(^|;)\s*EndpointSuffix=/i.test(cs);
}

export function queueServiceClient(conn: StorageConnection, fallbackClientId: string | undefined, options: StoragePipelineOptions = {}): QueueServiceClient {
  if (conn.kind === 'connection-string') {
    if (!namesQueueEndpoint(conn.connectionString)) throw new QueueConnectionError('the state storage connection string names no queue endpoint (QueueEndpoint=…)', { hint: HINT, code: 'QueueEndpointUnknown' });
    try {
      return QueueServiceClient.fromConnectionString(conn.connectionString, options);
    } catch (err) {
      throw new QueueConnectionError(`the state storage connection string cannot be used for the queue: ${err instanceof Error ? err.message : String(err)}`, { hint: HINT, code: 'QueueEndpointUnknown', cause: err });
    }
  }
  const clientId = conn.clientId ?? fallbackClientId;
  const credential = conn.managedIdentity ? new ManagedIdentityCredential(clientId ? { clientId } : {}) : defaultCredential(clientId);
  return new QueueServiceClient(queueServiceUriOf(conn), credential, options);
}
