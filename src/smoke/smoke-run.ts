// `pgaudit-ingest smoke`, the run: write the canary blob into the logs container (a new name, a
// conditional create: nothing existing is touched), then ask Log Analytics until its rows are in
// PgAudit_CL and its run record in PgAuditIngest_CL, or the time is up. The clients are handed
// in (src/cli/smoke-command.ts builds them), so tests point them at local services.
import { randomBytes } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import { SmokeError } from '../errors/smoke-error.js';
import { assess, describeCounts, rowsQuery, runRecordsQuery, type Assessment, type Observation, type RowCount, type RunRecordSeen } from './assess.js';
import { createCanary, expectedRows, type Canary } from './canary.js';
import { blobWriteError, timeoutError } from './smoke-failures.js';

/** Runs one KQL query in the workspace; rows as objects. Throws SmokeError when asking again cannot help. */
export type RunQuery = (query: string) => Promise<Record<string, unknown>[]>;

export interface SmokeDeps {
  readonly container: ContainerClient;
  readonly query: RunQuery;
  /** The release's version (AppVersion of the canary records). */
  readonly version: string;
  /** Progress (stderr). */
  readonly log: (message: string) => void;
  /** The outcome (stdout). */
  readonly out: (message: string) => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface SmokeOptions {
  readonly timeoutMs: number;
  readonly pollMs: number;
  /** The canary id (default random): tests name their canary. */
  readonly id?: string;
}

export interface SmokeResult {
  readonly canary: Canary;
  readonly assessment: Assessment;
  /** From the end of the blob write to the first poll that saw a canary row / everything. */
  readonly firstRowMs: number;
  readonly completeMs: number;
}

/** `4m12s`, `38s`, `1.2s`. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : null);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

async function observe(query: RunQuery, canary: Canary): Promise<Observation> {
  const [rows, records] = await Promise.all([query(rowsQuery(canary)), query(runRecordsQuery(canary))]);
  return {
    rows: rows.map((r): RowCount => ({ eventType: text(r.EventType) ?? '', marked: r.Marked === true, rows: num(r.Rows) ?? 0 })),
    runRecords: records.map(
      (r): RunRecordSeen => ({
        recordType: text(r.RecordType) ?? '',
        sourceBlob: text(r.SourceBlob),
        endOffset: num(r.EndOffset),
        rowsShipped: num(r.RowsShipped),
        rowsDeadLettered: num(r.RowsDeadLettered),
        rowsFiltered: num(r.RowsFiltered),
        errorCode: text(r.ErrorCode),
        errorMessage: text(r.ErrorMessage),
      }),
    ),
  };
}

async function writeCanary(container: ContainerClient, canary: Canary): Promise<void> {
  try {
    // A new logs account has no container until a diagnostic setting first writes; creating the
    // empty container is what Azure would do, and touches no blob.
    await container.createIfNotExists();
    // One Put Blob: Event Grid's BlobCreated names the complete blob (appends raise no event).
    // If-None-Match: * refuses to replace any blob that exists, whatever its name.
    await container.getBlockBlobClient(canary.blobName).upload(canary.bytes, canary.bytes.length, {
      conditions: { ifNoneMatch: '*' },
      blobHTTPHeaders: { blobContentType: 'application/json' },
      metadata: { pgauditsmoke: canary.id },
    });
  } catch (err) {
    throw blobWriteError(err, container);
  }
}

export async function runSmokeTest(deps: SmokeDeps, o: SmokeOptions): Promise<SmokeResult> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const canary = createCanary(o.id ?? randomBytes(5).toString('hex'), new Date(now()), deps.version);
  const expected = await expectedRows(canary);
  const expectedTotal = Object.values(expected).reduce((a, b) => a + b, 0);
  await writeCanary(deps.container, canary);
  const written = now();
  deps.log(`wrote canary ${deps.container.containerName}/${canary.blobName} (${canary.bytes.length} bytes, ${expectedTotal} row(s): ${describeCounts(expected, expected)}); server ${canary.serverName} is not a real server`);
  deps.log(`waiting up to ${formatDuration(o.timeoutMs)} for its rows in PgAudit_CL and its run record in PgAuditIngest_CL (asking every ${formatDuration(o.pollMs)})`);
  let firstRowAt: number | null = null;
  let last: Assessment | null = null;
  let lastProblem: string | null = null;
  const errorsShown = new Set<string>();
  for (;;) {
    try {
      last = assess(await observe(deps.query, canary), canary, canary.bytes.length, expected);
      lastProblem = null;
    } catch (err) {
      if (err instanceof SmokeError) throw err;
      // Throttling, 5xx after the client's own retries, a network error: ask again next time.
      lastProblem = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      deps.log(`query failed, asking again: ${lastProblem}`);
    }
    const at = now();
    if (last) {
      if (firstRowAt === null && last.rowsFound > 0) firstRowAt = at;
      for (const e of last.errors.filter((x) => !errorsShown.has(x))) {
        errorsShown.add(e);
        deps.log(`run record (error) about the canary: ${e}`);
      }
      if (last.state === 'dead-lettered') {
        throw new SmokeError('CanaryDeadLettered', `the service refused ${last.rowsDeadLettered} canary row(s) as invalid; they were dead-lettered`, {
          hint: 'the table or the DCR stream does not match this release\'s columns: re-run azd provision (or azd up) with this version; the dead-letter file in pgaudit-deadletter names the service\'s reason; pgaudit-ingest replay re-sends it',
        });
      }
      if (last.state === 'arrived') {
        const result: SmokeResult = { canary, assessment: last, firstRowMs: (firstRowAt ?? at) - written, completeMs: at - written };
        deps.out(`smoke test passed: ${last.rowsFound} of ${last.rowsExpected} canary row(s) of ${canary.serverName} in PgAudit_CL (${describeCounts(last.byEventType, expected)}); run record: ${last.rowsShipped} row(s) shipped${last.rowsFiltered ? `, ${last.rowsFiltered} left out by PGAUDIT_FILTERS` : ''}`);
        deps.out(`latency: first row queryable ${formatDuration(result.firstRowMs)} after the blob write, all rows and the run record ${formatDuration(result.completeMs)} (measured at ${formatDuration(o.pollMs)} polls)`);
        deps.out(`the canary blob stays in ${deps.container.containerName}: ${canary.blobName} (it deletes nothing; to remove the blob, wait until the app's lookback has passed: docs/deploy.md "Smoke test")`);
        return result;
      }
      deps.log(`${formatDuration(at - written)}: ${last.rowsFound} of ${last.rowsExpected} row(s) in PgAudit_CL, run record ${last.runRecordComplete ? `in (${last.rowsShipped} shipped)` : 'not yet'}`);
    }
    if (at + o.pollMs > written + o.timeoutMs) throw timeoutError(canary, last, at - written, lastProblem);
    await sleep(o.pollMs);
  }
}
