// Wires the shipping pieces (state, dead letters, sink, options) from plain configuration and
// clients. Shared by the Azure Functions and the CLI so both run the same pipeline.
import type { BlobServiceClient } from '@azure/storage-blob';
import type { PipelineOptions } from '../pipeline/options.js';
import { StateStore } from '../state/state-store.js';
import { DeadLetterStore } from './dead-letter-store.js';
import { LogsIngestionSink, type LogsIngestionSinkOptions, type UploadClient } from './logs-ingestion-sink.js';
import type { SweepDeps } from './sweep.js';
import type { ShipOptions } from './blob-shipper.js';

export interface ShipConfig {
  readonly ruleId: string;
  readonly stream: string;
  readonly logsContainer: string;
  readonly stateContainer: string;
  readonly deadLetterContainer: string;
  readonly pipelineOptions: Partial<PipelineOptions>;
  readonly graceMs: number;
  readonly flushBytes: number;
  readonly concurrency: number;
  readonly now?: () => Date;
  readonly afterUpload?: ShipOptions['afterUpload'];
  readonly onCheckpoint?: ShipOptions['onCheckpoint'];
  readonly sinkOptions?: LogsIngestionSinkOptions;
}

export interface ShipClients {
  readonly logs: BlobServiceClient;
  readonly state: BlobServiceClient;
  readonly ingestion: UploadClient;
}

export interface ShipContext {
  readonly deps: SweepDeps;
  readonly store: StateStore;
  readonly deadLetters: DeadLetterStore;
  readonly sink: LogsIngestionSink;
  ensureContainers(): Promise<void>;
}

export function createShipContext(config: ShipConfig, clients: ShipClients, log: (message: string) => void): ShipContext {
  const store = new StateStore(clients.state.getContainerClient(config.stateContainer));
  const deadLetters = new DeadLetterStore(clients.state.getContainerClient(config.deadLetterContainer));
  const sink = new LogsIngestionSink(clients.ingestion, config.ruleId, config.stream, {
    ...config.sinkOptions,
    onRetry: (i) => log(`upload got ${i.status ?? 'a network error'}; retry ${i.attempt} in ${i.delayMs} ms`),
  });
  const deps: SweepDeps = {
    source: clients.logs.getContainerClient(config.logsContainer),
    store,
    sink,
    deadLetters,
    log,
    pipelineOptions: config.pipelineOptions,
    concurrency: config.concurrency,
    options: { flushBytes: config.flushBytes, graceMs: config.graceMs, now: config.now ?? (() => new Date()), afterUpload: config.afterUpload, onCheckpoint: config.onCheckpoint },
  };
  return {
    deps,
    store,
    deadLetters,
    sink,
    async ensureContainers() {
      await store.ensureContainer();
      await deadLetters.ensureContainer();
    },
  };
}
