// Options shared by `ship`, `backfill`, `replay` and `status`, and their translation into the
// shipping configuration the functions use too.
import type { Command } from 'commander';
import { blobServiceClient, defaultCredential, logsIngestionClient } from '../config/azure-clients.js';
import { LOGS_CONTAINER } from '../config/settings.js';
import { storageConnectionFromCli } from '../config/storage-connection.js';
import { UsageError } from '../errors/usage-error.js';
import { STREAM_NAME } from '../schema.js';
import { createShipContext, type ShipContext } from '../ship/ship-context.js';
import { parsePipelineOptions, type ParseCliOptions } from './parse-command.js';
import { addPipelineOptions } from './pipeline-options.js';

export interface StorageCliOptions {
  readonly storage?: string;
  readonly container: string;
  readonly stateStorage?: string;
  readonly stateContainer: string;
  readonly deadletterContainer: string;
  readonly clientId?: string;
}

export interface ShipCliOptions extends StorageCliOptions, Omit<ParseCliOptions, 'output' | 'summary' | 'progress'> {
  readonly prefix: string;
  readonly endpoint?: string;
  readonly ruleId?: string;
  readonly stream: string;
  /** Absent for `replay`, which reads no blobs. */
  readonly graceMinutes?: string;
  readonly flushMb: string;
  readonly concurrency: string;
}

export function addStorageOptions(cmd: Command): Command {
  return cmd
    .option('--storage <conn|url>', 'logs storage: a connection string (Azurite) or https://<account>.blob.core.windows.net (uses DefaultAzureCredential); env PGAUDIT_STORAGE')
    .option('--container <name>', 'container of the diagnostic blobs', LOGS_CONTAINER)
    .option('--state-storage <conn|url>', 'storage for checkpoints and dead letters (default: --storage)')
    .option('--state-container <name>', 'container for checkpoints and session state', 'pgaudit-state')
    .option('--deadletter-container <name>', 'container for rows the service refused', 'pgaudit-deadletter')
    .option('--client-id <id>', 'client id of a user-assigned managed identity (default: env AZURE_CLIENT_ID)');
}

export function addShipOptions(cmd: Command, withPipeline = true): Command {
  addStorageOptions(cmd)
    .option('--endpoint <url>', 'Logs Ingestion endpoint of the DCR (properties.endpoints.logsIngestion); env PGAUDIT_INGESTION_ENDPOINT')
    .option('--rule-id <dcr-id>', 'DCR immutable id (dcr-…); env PGAUDIT_DCR_IMMUTABLE_ID')
    .option('--stream <name>', 'DCR stream', STREAM_NAME)
    .option('--concurrency <n>', 'servers shipped in parallel', '4')
    .option('--flush-mb <mb>', 'upload when this many MB of rows are pending', '8');
  if (withPipeline) {
    addPipelineOptions(cmd.option('--prefix <blob-prefix>', 'only blobs whose names start with this', '')).option(
      '--grace-minutes <n>',
      'a blob may still grow this long after its hour',
      '15',
    );
  }
  return cmd;
}

function positive(value: string, name: string, min = 1): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`${name} must be a number ≥ ${min} (got ${JSON.stringify(value)})`);
  return n;
}

export function storageClients(o: StorageCliOptions, env: NodeJS.ProcessEnv = process.env) {
  const storage = o.storage ?? env.PGAUDIT_STORAGE;
  if (!storage) throw new UsageError('--storage is required (a connection string, or https://<account>.blob.core.windows.net), or set PGAUDIT_STORAGE');
  const clientId = o.clientId ?? (env.AZURE_CLIENT_ID || undefined);
  const logs = blobServiceClient(storageConnectionFromCli(storage, clientId), clientId);
  const state = o.stateStorage ? blobServiceClient(storageConnectionFromCli(o.stateStorage, clientId), clientId) : logs;
  return { logs, state, clientId };
}

/** Progress of long blobs on stderr, at most every 2 s per blob. */
function progressReporter(log: (m: string) => void): (blob: string, offset: number, length: number) => void {
  const last = new Map<string, number>();
  return (blob, offset, length) => {
    const now = Date.now();
    if (offset >= length || now - (last.get(blob) ?? 0) < 2000) return;
    last.set(blob, now);
    log(`${blob}: ${((100 * offset) / Math.max(1, length)).toFixed(0)} % (${(offset / 1e6).toFixed(1)} of ${(length / 1e6).toFixed(1)} MB)`);
  };
}

/** The shipping context for a command, from its options (and PGAUDIT_* environment fallbacks). */
export function shipContextFromCli(o: ShipCliOptions, log: (m: string) => void, env: NodeJS.ProcessEnv = process.env): ShipContext {
  const endpoint = o.endpoint ?? env.PGAUDIT_INGESTION_ENDPOINT;
  const ruleId = o.ruleId ?? env.PGAUDIT_DCR_IMMUTABLE_ID;
  if (!endpoint || !/^https:\/\//.test(endpoint)) throw new UsageError('--endpoint must be the https:// Logs Ingestion endpoint of the DCR (or set PGAUDIT_INGESTION_ENDPOINT)');
  if (!ruleId || !/^dcr-[0-9a-f]{32}$/.test(ruleId)) throw new UsageError('--rule-id must be the DCR immutable id, "dcr-" and 32 hex digits (or set PGAUDIT_DCR_IMMUTABLE_ID)');
  const { logs, state, clientId } = storageClients(o, env);
  const pipelineOptions = o.logLinePrefix !== undefined ? parsePipelineOptions({ ...o, summary: 'text' }) : {};
  return createShipContext(
    {
      ruleId,
      stream: o.stream,
      logsContainer: o.container,
      stateContainer: o.stateContainer,
      deadLetterContainer: o.deadletterContainer,
      pipelineOptions,
      graceMs: positive(o.graceMinutes ?? '15', '--grace-minutes', 0) * 60_000,
      flushBytes: positive(o.flushMb, '--flush-mb', 0.1) * 1_000_000,
      concurrency: positive(o.concurrency, '--concurrency'),
      onCheckpoint: progressReporter(log),
    },
    { logs, state, ingestion: logsIngestionClient(endpoint, defaultCredential(clientId)) },
    log,
  );
}
