// The shipping context of `ship`, `backfill`, `replay` and `status`, from their options (and
// PGAUDIT_* environment fallbacks). Loads the Azure SDKs, so the CLI imports it only for those
// commands.
import { blobServiceClient, defaultCredential, logsIngestionClient } from '../config/azure-clients.js';
import { storageConnectionFromCli } from '../config/storage-connection.js';
import { UsageError } from '../errors/usage-error.js';
import { createShipContext, type ShipContext } from '../ship/ship-context.js';
import { parsePipelineOptions } from './parse-command.js';
import type { ShipCliOptions, StorageCliOptions } from './ship-options.js';

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
