// Options shared by `ship`, `backfill`, `replay` and `status` (definitions only: this module
// loads no Azure SDK, so `parse` and `--help` start fast; ship-context-from-cli.ts turns them
// into clients).
import type { Command } from 'commander';
import { LOGS_CONTAINER } from '../config/logs-container.js';
import { STREAM_NAME } from '../schema.js';
import type { ParseCliOptions } from './parse-command.js';
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
