// Wires the shipping pieces (state, dead letters, sink, options) from plain configuration and
// clients. Shared by the Azure Functions and the CLI so both run the same pipeline; both build
// the configuration from the same settings (shipConfigOf).
import type { BlobServiceClient } from '@azure/storage-blob';
import type { ShipSettings } from '../config/settings.js';
import { pipelineOptionsOf, type PipelineOptions } from '../pipeline/options.js';
import { StateStore } from '../state/state-store.js';
import type { ShipOptions } from './blob-shipper.js';
import { DeadLetterStore } from './dead-letter-store.js';
import type { IngestionTransport } from './ingestion-transport.js';
import { LogsIngestionSink, type LogsIngestionSinkOptions } from './logs-ingestion-sink.js';
import { retryPolicy } from './retry-policy.js';
import type { ShippingDeps } from './shipping-run.js';

export interface ShipConfig {
  readonly ruleId: string;
  readonly stream: string;
  /** The stream of the run records (PgAuditIngest_CL). */
  readonly runStream: string;
  readonly logsContainer: string;
  readonly stateContainer: string;
  readonly deadLetterContainer: string;
  readonly pipelineOptions: Partial<PipelineOptions>;
  readonly lookbackMs: number;
  readonly flushBytes: number;
  readonly concurrency: number;
  readonly uploadTimeoutMs: number;
  readonly uploadAttempts: number;
  /** Time budget of one run in ms (0: none). */
  readonly budgetMs: number;
  readonly now?: () => Date;
  readonly afterUpload?: ShipOptions['afterUpload'];
  readonly onCheckpoint?: ShipOptions['onCheckpoint'];
  /** Overrides of the sink's options (tests: a fast backoff). */
  readonly sinkOptions?: Partial<LogsIngestionSinkOptions>;
}

/** The shipping configuration from settings (the app's and the CLI's are the same type). */
export function shipConfigOf(s: ShipSettings): ShipConfig {
  return {
    ruleId: s.dcrImmutableId,
    stream: s.streamName,
    runStream: s.runStreamName,
    logsContainer: s.logsContainer,
    stateContainer: s.stateContainer,
    deadLetterContainer: s.deadLetterContainer,
    pipelineOptions: pipelineOptionsOf(s),
    lookbackMs: s.lookbackHours * 3_600_000,
    flushBytes: Math.round(s.flushMb * 1_000_000),
    concurrency: s.concurrency,
    uploadTimeoutMs: s.uploadTimeoutSeconds * 1000,
    uploadAttempts: s.uploadAttempts,
    budgetMs: s.runBudgetMinutes * 60_000,
  };
}

export interface ShipClients {
  readonly logs: BlobServiceClient;
  readonly state: BlobServiceClient;
  readonly ingestion: IngestionTransport;
}

export interface ShipContext {
  readonly config: ShipConfig;
  readonly deps: ShippingDeps;
  readonly store: StateStore;
  readonly deadLetters: DeadLetterStore;
  readonly sink: LogsIngestionSink;
  /** Sends run records to their own stream, by the same upload rules. */
  readonly runSink: LogsIngestionSink;
  ensureContainers(): Promise<void>;
}

export function createShipContext(config: ShipConfig, clients: ShipClients, log: (message: string) => void): ShipContext {
  const store = new StateStore(clients.state.getContainerClient(config.stateContainer));
  const deadLetters = new DeadLetterStore(clients.state.getContainerClient(config.deadLetterContainer));
  const sinkOptions: LogsIngestionSinkOptions = {
    uploadTimeoutMs: config.uploadTimeoutMs,
    retry: retryPolicy(config.uploadAttempts),
    ...config.sinkOptions,
    onRetry: (i) => log(`upload failed (${i.outcome.kind === 'refused' ? `HTTP ${i.outcome.status}` : i.outcome.kind}); retry ${i.attempt} in ${i.delayMs} ms`),
  };
  const sink = new LogsIngestionSink(clients.ingestion, config.ruleId, config.stream, sinkOptions);
  const runSink = new LogsIngestionSink(clients.ingestion, config.ruleId, config.runStream, sinkOptions);
  const deps: ShippingDeps = {
    source: clients.logs.getContainerClient(config.logsContainer),
    store,
    sink,
    deadLetters,
    log,
    pipelineOptions: config.pipelineOptions,
    concurrency: config.concurrency,
    budgetMs: config.budgetMs,
    uploadTimeoutMs: config.uploadTimeoutMs,
    options: { flushBytes: config.flushBytes, lookbackMs: config.lookbackMs, now: config.now ?? (() => new Date()), afterUpload: config.afterUpload, onCheckpoint: config.onCheckpoint },
  };
  return {
    config,
    deps,
    store,
    deadLetters,
    sink,
    runSink,
    async ensureContainers() {
      await store.ensureContainer();
      await deadLetters.ensureContainer();
    },
  };
}
