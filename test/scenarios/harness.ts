// Shared pieces of the delivery scenarios: a shipping context over the real stack, blob appends,
// and the one assertion every scenario makes — each expected row arrived exactly once.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import type { AppendBlobClient } from '@azure/storage-blob';
import { createRuntime, useRuntime, type Runtime } from '../../src/app/function-runtime.js';
import { loadSettings } from '../../src/config/settings.js';
import { createShipContext, type ShipClients, type ShipConfig, type ShipContext } from '../../src/ship/ship-context.js';
import { RUN_STREAM_NAME } from '../../src/run-record-schema.js';
import { STREAM_NAME } from '../../src/schema.js';
import { planFromListing, type ListedPlan } from '../../src/ship/plan.js';
import { planFleet, type ShardPlan } from '../../src/ship/plan-shard.js';
import { runShipping, type ShippingSummary } from '../../src/ship/shipping-run.js';
import { caFile } from '../helpers/cli-process.js';
import { appSettingsEnv, startStack, TEST_RULE_ID, type Stack, type StackOptions } from '../support/stack.js';
import { auditKey, type ExpectedAudit } from './workload.js';

export const LOGS = 'insights-logs-postgresqllogs';

export interface Scenario {
  readonly ctx: ShipContext;
  readonly messages: string[];
}

/** A shipping context as the functions build it, on containers private to this scenario. */
export async function scenario(stack: Stack, overrides: Partial<ShipConfig> = {}, clients: ShipClients = stack.clients()): Promise<Scenario> {
  const id = randomUUID().slice(0, 8);
  const messages: string[] = [];
  const ctx = createShipContext(
    {
      ruleId: TEST_RULE_ID,
      stream: STREAM_NAME,
      runStream: RUN_STREAM_NAME,
      logsContainer: LOGS,
      stateContainer: `state-${id}`,
      deadLetterContainer: `dead-${id}`,
      pipelineOptions: {},
      lookbackMs: 15 * 60_000, // the old 15-minute grace, until the lookback planner lands
      flushBytes: 8_000_000,
      concurrency: 2,
      uploadTimeoutMs: 30_000,
      uploadAttempts: 8,
      budgetMs: 0,
      sinkOptions: { retry: { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 2000, retryStatuses: [408, 429] } },
      ...overrides,
    },
    clients,
    (m) => messages.push(m),
  );
  await ctx.ensureContainers();
  await stack.blobs.getContainerClient(LOGS).createIfNotExists();
  return { ctx, messages };
}

export async function appendBlob(stack: Stack, name: string): Promise<AppendBlobClient> {
  const blob = stack.blobs.getContainerClient(LOGS).getAppendBlobClient(name);
  await blob.createIfNotExists();
  return blob;
}

/** Appends in blocks of at most 4 MB (the append-block limit). */
export async function append(blob: AppendBlobClient, bytes: Buffer): Promise<void> {
  for (let i = 0; i < bytes.length; i += 4 * 1024 * 1024) {
    const part = bytes.subarray(i, i + 4 * 1024 * 1024);
    await blob.appendBlock(part, part.length);
  }
}

/** Rows accepted by the endpoint for one server. */
export function acceptedFor(stack: Stack, server: string): Record<string, unknown>[] {
  return stack.ingestion.accepted.filter((r) => r.ServerName === server);
}

/**
 * Every expected AUDIT row arrived exactly once with the right attribution, and nothing else
 * arrived twice unless `allowDuplicatesOf` (a crash between upload and checkpoint) — then every
 * duplicate carries the RecordId of its original.
 */
export function expectExactlyOnce(rows: Record<string, unknown>[], expected: readonly ExpectedAudit[], opts: { otherRows?: number; duplicatesAllowed?: boolean } = {}): void {
  const byRecordId = new Map<string, Record<string, unknown>[]>();
  for (const r of rows) {
    const list = byRecordId.get(r.RecordId as string) ?? [];
    list.push(r);
    byRecordId.set(r.RecordId as string, list);
  }
  const duplicates = [...byRecordId.values()].filter((l) => l.length > 1);
  if (!opts.duplicatesAllowed) expect(duplicates.length, 'rows delivered more than once').toBe(0);
  for (const list of duplicates) for (const r of list) expect(r).toEqual(list[0]);
  const unique = [...byRecordId.values()].map((l) => l[0]!);

  const audits = unique.filter((r) => r.EventType === 'AUDIT');
  const seen = new Map<string, Record<string, unknown>>();
  for (const r of audits) {
    const key = auditKey(r.SessionId as string, r.StatementId as number);
    expect(seen.has(key), `AUDIT ${key} delivered under two RecordIds`).toBe(false);
    seen.set(key, r);
  }
  expect(audits.length).toBe(expected.length);
  for (const e of expected) {
    const r = seen.get(auditKey(e.session, e.statementId));
    expect(r, `AUDIT ${auditKey(e.session, e.statementId)} missing`).toBeDefined();
    expect({ user: r!.UserName, db: r!.DatabaseName }).toEqual({ user: e.user, db: e.database });
  }
  if (opts.otherRows !== undefined) expect(unique.length - audits.length).toBe(opts.otherRows);
  expect(unique.filter((r) => r.EventType === 'UNPARSED' || r.EventType === 'GAP')).toEqual([]);
}

/**
 * The real stack of this test file: started in beforeAll (with the logs container), closed in
 * afterAll. The returned object stands for it from then on (it may only be used inside tests).
 */
export function stackPerFile(options?: StackOptions): Stack {
  let current: Stack | null = null;
  beforeAll(async () => {
    current = await startStack(options);
    await current.blobs.getContainerClient(LOGS).createIfNotExists();
  }, 30_000);
  afterAll(async () => {
    await current?.close();
  });
  return new Proxy({} as Stack, {
    get(_target, property) {
      if (!current) throw new Error('the stack starts in beforeAll: use it inside tests');
      return Reflect.get(current, property) as unknown;
    },
  });
}

const caFiles = new Map<string, string>();

/** The environment of the CLI as a separate process: it trusts the endpoint and finds the logs. */
export function cliEnv(stack: Stack): NodeJS.ProcessEnv {
  const ca = stack.ingestion.ca;
  if (!caFiles.has(ca)) caFiles.set(ca, caFile(ca));
  return { NODE_EXTRA_CA_CERTS: caFiles.get(ca), PGAUDIT_LOGS_STORAGE: stack.azurite.connectionString };
}

/** `ship` over a prefix: the listing plan, compared with checkpoints and markers, then the run. */
export async function shipListed(sc: Scenario, prefix: string, range?: { from: Date; to: Date }): Promise<ShippingSummary & { planned: ListedPlan }> {
  const planned = await planFromListing(sc.ctx.deps.source, sc.ctx.store, prefix, sc.ctx.deps.options.now(), sc.ctx.config.lookbackMs, range);
  return { ...(await runShipping(planned.plan, sc.ctx.deps)), planned };
}

const lastPlanAt = new WeakMap<Scenario, Date>();

/**
 * The timer's run as the fleet planner makes it (every shard, in this process): the known servers
 * (and `servers`, discovered), the recent days at every sweep, the older days when due (the
 * scenario remembers when it last planned, as the timer instance does), then the run.
 */
export async function sweepLive(sc: Scenario, servers: readonly string[] = [], o: { shardSize?: number } = {}): Promise<ShippingSummary & { planned: ShardPlan }> {
  const now = sc.ctx.deps.options.now();
  const planned = await planFleet(sc.ctx.deps.source, sc.ctx.store, { now, lookbackMs: sc.ctx.config.lookbackMs, previousPlanAt: lastPlanAt.get(sc) ?? null, extraServers: servers, size: o.shardSize });
  lastPlanAt.set(sc, now);
  return { ...(await runShipping(planned.plan, sc.ctx.deps)), planned };
}

/**
 * The Functions app's runtime on containers and a queue private to one test (`prefix` names them),
 * installed as the app's runtime; `overrides` replace fields of it (a shard size, a shorter deferral).
 */
export async function appRuntime(stack: Stack, overrides: Partial<Runtime> = {}, prefix = ''): Promise<Runtime> {
  const settings = loadSettings(appSettingsEnv(stack, `${prefix}${randomUUID().slice(0, 8)}`));
  const rt = { ...(await createRuntime(settings, { ...stack.clients(), queue: stack.queueService() })), ...overrides };
  useRuntime(rt);
  return rt;
}
