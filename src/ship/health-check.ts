// `pgaudit-ingest check` and the Functions app's start-up check: can this identity do what a run
// needs? Each check reports what it found and, when it failed, the fix (the role, the setting).
//   ingestion <stream>  POST [] to each DCR stream, rows and run records (204; nothing is ingested)
//   logs                list and read the diagnostic-logs container (read-only: nothing is written)
//   state, dead letters create the container if needed (as a run would), write and delete a probe
//   queue               the app's server queue: create it if needed (as the app does), peek
import { randomUUID } from 'node:crypto';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import type { ShipSettings } from '../config/settings.js';
import { isCredentialFailure } from '../errors/credential-failure.js';
import { statusOf } from '../state/read-text.js';
import type { IngestionTransport } from './ingestion-transport.js';
import { STOP_STATUSES } from './upload-decision.js';

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly message: string;
  /** What to change when the check failed. */
  readonly fix: string | null;
}

export interface HealthTargets {
  /** How runs post to the Logs Ingestion API (the client's credential, policies and TLS options). */
  readonly ingestion: IngestionTransport;
  readonly ruleId: string;
  readonly streams: readonly string[];
  readonly logs: ContainerClient;
  readonly state: ContainerClient;
  readonly deadLetters: ContainerClient;
  /** The server queue of the Functions app (absent: not checked, as for the CLI's own runs). */
  readonly queue?: QueueClient;
  readonly timeoutMs?: number;
}


function failureOf(err: unknown, what: string): { message: string; credential: boolean } {
  const message = ((err as Error)?.message ?? String(err)).split('\n')[0]!;
  return { message: `${what}: ${message}`, credential: isCredentialFailure(err) };
}

/** An empty upload to one stream of the DCR (`label` names a further DCR shard in the result). */
export async function checkStream(t: HealthTargets, stream: string, label = ''): Promise<CheckResult> {
  const name = `ingestion ${stream}${label}`;
  try {
    const res = await t.ingestion.post(t.ruleId, stream, '[]', AbortSignal.timeout(t.timeoutMs ?? 30_000));
    if (res.status >= 200 && res.status < 300) return { name, ok: true, message: `an empty upload was accepted (HTTP ${res.status})`, fix: null };
    const body = (res.bodyText ?? '').slice(0, 300);
    return { name, ok: false, message: `HTTP ${res.status}${body ? `: ${body}` : ''}`, fix: STOP_STATUSES[res.status]?.hint ?? 'see the service\'s message' };
  } catch (err) {
    const f = failureOf(err, 'no answer');
    return f.credential
      ? { name, ok: false, message: f.message.replace('no answer', 'no token'), fix: 'sign in (az login) or run where the managed identity is available; check AZURE_CLIENT_ID' }
      : { name, ok: false, message: f.message, fix: 'check PGAUDIT_INGESTION_ENDPOINT (--endpoint): the DCR\'s properties.endpoints.logsIngestion, reachable from here' };
  }
}

function storageFix(status: number | undefined, role: string, container: string, setting: string): string {
  if (status === 404) return `container ${container} does not exist in that account: check ${setting}`;
  if (status === 403) return `the identity needs ${role}`;
  return 'check the storage account URL and that it is reachable';
}

async function checkLogs(t: HealthTargets): Promise<CheckResult> {
  const name = `logs ${t.logs.containerName}`;
  try {
    let first: string | undefined;
    for await (const item of t.logs.listBlobsFlat()) {
      first = item.name;
      break;
    }
    if (!first) return { name, ok: true, message: 'readable; no blobs yet (does the server have a diagnostic setting sending PostgreSQLLogs here?)', fix: null };
    await t.logs.getBlobClient(first).download(0, 1);
    return { name, ok: true, message: `listed and read ${first}`, fix: null };
  } catch (err) {
    if (isCredentialFailure(err)) return { name, ok: false, message: failureOf(err, 'no token').message, fix: 'sign in (az login) or run where the managed identity is available' };
    return { name, ok: false, message: failureOf(err, 'cannot read').message, fix: storageFix(statusOf(err), 'Storage Blob Data Reader on the logs account', t.logs.containerName, 'PGAUDIT_LOGS_CONTAINER (--container)') };
  }
}

async function checkWritable(container: ContainerClient, label: string, setting: string): Promise<CheckResult> {
  const name = `${label} ${container.containerName}`;
  const probe = container.getBlockBlobClient(`health/${randomUUID()}.probe`);
  try {
    await container.createIfNotExists(); // as the first run would
    await probe.upload('probe', 5);
    await probe.delete();
    return { name, ok: true, message: 'wrote and deleted a probe blob', fix: null };
  } catch (err) {
    if (isCredentialFailure(err)) return { name, ok: false, message: failureOf(err, 'no token').message, fix: 'sign in (az login) or run where the managed identity is available' };
    return { name, ok: false, message: failureOf(err, 'cannot write').message, fix: storageFix(statusOf(err), 'Storage Blob Data Contributor (or Owner) on the state account', container.containerName, setting) };
  }
}

async function checkQueue(queue: QueueClient): Promise<CheckResult> {
  const name = `queue ${queue.name}`;
  try {
    await queue.createIfNotExists(); // as the app's start does
    await queue.peekMessages({ numberOfMessages: 1 }); // reads without taking a message
    return { name, ok: true, message: 'exists and its messages can be read', fix: null };
  } catch (err) {
    if (isCredentialFailure(err)) return { name, ok: false, message: failureOf(err, 'no token').message, fix: 'sign in (az login) or run where the managed identity is available' };
    const status = statusOf(err);
    return { name, ok: false, message: failureOf(err, 'cannot read').message, fix: status === 403 ? 'the identity needs Storage Queue Data Contributor on the state account' : 'check PGAUDIT_STATE_STORAGE (its queue service) and PGAUDIT_QUEUE_NAME (--queue)' };
  }
}

/** What to check for a shipping run's settings, with the clients the run uses (and the app's queue). */
export function healthTargetsOf(
  s: Pick<ShipSettings, 'dcrImmutableId' | 'streamName' | 'runStreamName' | 'logsContainer' | 'stateContainer' | 'deadLetterContainer' | 'queueName'>,
  clients: { readonly ingestion: IngestionTransport; readonly logs: BlobServiceClient; readonly state: BlobServiceClient; readonly queue?: QueueServiceClient },
): HealthTargets {
  return {
    ingestion: clients.ingestion,
    ruleId: s.dcrImmutableId,
    streams: [s.streamName, s.runStreamName],
    logs: clients.logs.getContainerClient(s.logsContainer),
    state: clients.state.getContainerClient(s.stateContainer),
    deadLetters: clients.state.getContainerClient(s.deadLetterContainer),
    ...(clients.queue ? { queue: clients.queue.getQueueClient(s.queueName) } : {}),
  };
}

/** Runs every check (they do not depend on each other) and returns them in a fixed order. */
export async function runHealthChecks(t: HealthTargets): Promise<CheckResult[]> {
  return Promise.all([
    ...t.streams.map((s) => checkStream(t, s)),
    checkLogs(t),
    checkWritable(t.state, 'state', 'PGAUDIT_STATE_CONTAINER (--state-container)'),
    checkWritable(t.deadLetters, 'dead letters', 'PGAUDIT_DEADLETTER_CONTAINER (--deadletter-container)'),
    ...(t.queue ? [checkQueue(t.queue)] : []),
  ]);
}

export function formatCheck(r: CheckResult): string {
  return `${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.message}${r.fix ? `\n     fix: ${r.fix}` : ''}`;
}
