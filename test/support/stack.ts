// The real parts a shipping test needs, wired together: Azurite, the managed-identity endpoint
// (via IDENTITY_ENDPOINT/IDENTITY_HEADER, so DefaultAzureCredential runs its real code) and the
// HTTPS Logs Ingestion endpoint that only accepts tokens the identity endpoint issued.
import { BlobServiceClient } from '@azure/storage-blob';
import { defaultCredential, logsIngestionClient } from '../../src/config/azure-clients.js';
import { STREAM_NAME } from '../../src/schema.js';
import type { ShipClients } from '../../src/ship/ship-context.js';
import { startAzurite, type AzuriteHandle } from './azurite.js';
import { startIngestionEndpoint, type IngestionHandle } from './logs-ingestion-endpoint.js';
import { startIdentityEndpoint, useManagedIdentityEnv, type IdentityHandle } from './managed-identity-endpoint.js';

export const TEST_RULE_ID = 'dcr-0123456789abcdef0123456789abcdef';

export interface Stack {
  readonly azurite: AzuriteHandle;
  readonly identity: IdentityHandle;
  readonly ingestion: IngestionHandle;
  readonly blobs: BlobServiceClient;
  /** Fresh SDK clients as the function app builds them (real credential, real clients). */
  clients(): ShipClients;
  close(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const [azurite, identity] = await Promise.all([startAzurite(), startIdentityEndpoint()]);
  const ingestion = await startIngestionEndpoint({ ruleId: TEST_RULE_ID, stream: STREAM_NAME, validateToken: (t) => identity.validToken(t) });
  const restoreEnv = useManagedIdentityEnv(identity);
  const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  return {
    azurite,
    identity,
    ingestion,
    blobs,
    clients: () => ({
      logs: blobs,
      state: blobs,
      // The endpoint's certificate is self-signed: trust exactly it (tlsOptions.ca), nothing else.
      ingestion: logsIngestionClient(ingestion.endpoint, defaultCredential(undefined), { tlsOptions: { ca: ingestion.ca } }),
    }),
    async close() {
      restoreEnv();
      await Promise.all([azurite.close(), identity.close(), ingestion.close()]);
    },
  };
}
