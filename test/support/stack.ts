// The real parts a shipping test needs, wired together: Azurite, the managed-identity endpoint
// (via IDENTITY_ENDPOINT/IDENTITY_HEADER, so DefaultAzureCredential runs its real code) and the
// HTTPS Logs Ingestion endpoint that only accepts tokens the identity endpoint issued.
// Start one stack per test file (beforeAll): MSAL keeps the first managed-identity endpoint it sees
// for the life of the worker (see managed-identity-endpoint.ts).
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { defaultCredential } from '../../src/config/azure-clients.js';
import { ingestionTransport } from '../../src/ship/ship-clients.js';
import { RUN_COLUMNS, RUN_STREAM_NAME } from '../../src/run-record-schema.js';
import { STREAM_NAME } from '../../src/schema.js';
import type { ShipClients } from '../../src/ship/ship-context.js';
import { azuriteConnectionString, startAzurite, startAzuriteQueue, type AzuriteHandle, type AzuriteQueueHandle } from './azurite.js';
import { startIngestionEndpoint, trustingClientOptions, type IngestionHandle, type IngestionOptions } from './logs-ingestion-endpoint.js';
import { startIdentityEndpoint, useManagedIdentityEnv, type IdentityHandle, type IdentityOptions } from './managed-identity-endpoint.js';

export const TEST_RULE_ID = 'dcr-0123456789abcdef0123456789abcdef';

export interface Stack {
  readonly azurite: AzuriteHandle;
  readonly identity: IdentityHandle;
  readonly ingestion: IngestionHandle;
  readonly blobs: BlobServiceClient;
  /** Azurite's queue service, with `queue: true` (else null). */
  readonly queue: AzuriteQueueHandle | null;
  /** The state account's connection string: blob, and queue with `queue: true` (PGAUDIT_STATE_STORAGE). */
  readonly stateConnectionString: string;
  /** A queue service client of the queue service (throws without `queue: true`). */
  queueService(): QueueServiceClient;
  /** Fresh SDK clients as the function app builds them (real credential, real clients). */
  clients(): ShipClients;
  /** Put back the environment useManagedIdentityEnv changed (close() does it too; idempotent). */
  restoreEnv(): void;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Also start Azurite's queue service (the server queue). */
  readonly queue?: boolean;
  readonly identity?: IdentityOptions;
  readonly ingestion?: Omit<IngestionOptions, 'ruleId' | 'stream' | 'validateToken'>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  // Start all three; if one fails, close the others before rethrowing (no process left behind).
  const [a, i, g, q] = await Promise.allSettled([startAzurite(), startIdentityEndpoint(options.identity), startIngestion(options), options.queue ? startAzuriteQueue() : Promise.resolve(null)]);
  if (a.status !== 'fulfilled' || i.status !== 'fulfilled' || g.status !== 'fulfilled' || q.status !== 'fulfilled') {
    await Promise.all([a, i, g, q].map(async (s) => (s.status === 'fulfilled' ? s.value?.close() : undefined)));
    const reasons = [a, i, g, q].flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    throw new AggregateError(reasons, `startStack failed: ${reasons.map(String).join('; ')}`);
  }
  const { ingestion, link } = g.value;
  const [azurite, identity, queue] = [a.value, i.value, q.value];
  link(identity);
  const restoreEnv = useManagedIdentityEnv(identity);
  const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  return {
    azurite,
    identity,
    ingestion,
    blobs,
    queue,
    stateConnectionString: azuriteConnectionString(azurite.port, queue?.port),
    queueService: () => {
      if (!queue) throw new Error('startStack({ queue: true }) starts the queue service');
      return QueueServiceClient.fromConnectionString(queue.connectionString);
    },
    clients: () => ({
      logs: blobs,
      state: blobs,
      // The endpoint's certificate is self-signed: trust exactly it (tlsOptions.ca), nothing else.
      ingestion: ingestionTransport(ingestion.endpoint, defaultCredential(undefined), trustingClientOptions(ingestion)),
    }),
    restoreEnv,
    async close() {
      restoreEnv();
      await Promise.all([azurite.close(), identity.close(), ingestion.close(), queue?.close()]);
    },
  };
}

/** The ingestion endpoint, validating tokens with the identity endpoint once it is linked. */
async function startIngestion(options: StackOptions): Promise<{ ingestion: IngestionHandle; link: (identity: IdentityHandle) => void; close: () => Promise<void> }> {
  let identity: IdentityHandle | undefined;
  const ingestion = await startIngestionEndpoint({
    moreStreams: { [RUN_STREAM_NAME]: RUN_COLUMNS },
    ...options.ingestion,
    ruleId: TEST_RULE_ID,
    stream: STREAM_NAME,
    validateToken: (t) => identity?.validToken(t) ?? false,
  });
  return { ingestion, link: (i) => void (identity = i), close: () => ingestion.close() };
}

/**
 * The Functions app's settings against a stack, as app settings: its endpoint and rule, Azurite for
 * both accounts (the state one with its queue service), and containers and a queue of their own,
 * `<name>-state`, `<name>-dead` and `<name>-servers`, so tests sharing a stack do not meet.
 */
export function appSettingsEnv(stack: Pick<Stack, 'ingestion' | 'azurite' | 'stateConnectionString'>, name: string): Record<string, string> {
  return {
    PGAUDIT_INGESTION_ENDPOINT: stack.ingestion.endpoint,
    PGAUDIT_DCR_IMMUTABLE_ID: TEST_RULE_ID,
    PGAUDIT_LOGS_STORAGE: stack.azurite.connectionString,
    PGAUDIT_STATE_STORAGE: stack.stateConnectionString,
    PGAUDIT_STATE_CONTAINER: `${name}-state`,
    PGAUDIT_DEADLETTER_CONTAINER: `${name}-dead`,
    PGAUDIT_QUEUE_NAME: `${name}-servers`,
  };
}
