// `pgaudit-ingest smoke` end to end, as a separate process: it writes its canary into Azurite's
// logs container, the shipper (the CLI's `ship`, or the handlers' run) sends it to the local Logs
// Ingestion endpoint, and the real LogsQueryClient asks the local Logs Query endpoint, which
// answers from what the ingestion endpoint accepted. Nothing here knows the expected counts: the
// command computes them from its canary, and the rows checked are the ones that arrived.
import { writeFileSync } from 'node:fs';
import { InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onBlobCreated, onShipServer, useRuntime, type Runtime } from '../../src/app/function-runtime.js';
import { hostQueueSettings } from '../../src/config/host-queue-settings.js';
import { RUN_COLUMNS, RUN_STREAM_NAME, RUN_TABLE_NAME } from '../../src/run-record-schema.js';
import { COLUMNS, STREAM_NAME, TABLE_NAME } from '../../src/schema.js';
import { createCanary, serverPathOf, SMOKE_RESOURCE_GROUP, SMOKE_SUBSCRIPTION } from '../../src/smoke/canary.js';
import { runSmokeTest } from '../../src/smoke/smoke-run.js';
import { caFile, runCli, type CliRun } from '../helpers/cli-process.js';
import { startQueryEndpoint, LOGS_QUERY_AUDIENCE, type QueryHandle } from '../support/logs-query-endpoint.js';
import { drainQueue } from '../support/queue-host.js';
import { TEST_RULE_ID } from '../support/stack.js';
import { append, appendBlob, LOGS, stackPerFile, appRuntime as appRuntimeOf } from './harness.js';
import { bytesOf, hourBlob, SessionScript } from './workload.js';

const WORKSPACE_ID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const WORKSPACE_RESOURCE_ID = '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-pgaudit/providers/Microsoft.OperationalInsights/workspaces/log-pgaudit-test';
const SMOKE_PREFIX = `resourceId=/SUBSCRIPTIONS/${SMOKE_SUBSCRIPTION}/RESOURCEGROUPS/${SMOKE_RESOURCE_GROUP}/`;

const stack = stackPerFile({ queue: true });
let query: QueryHandle;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  query = await startQueryEndpoint({
    workspaceId: WORKSPACE_ID,
    resourceId: WORKSPACE_RESOURCE_ID,
    // A token the identity endpoint issued for Log Analytics, not one for the ingestion API.
    validateToken: (t) => stack.identity.validToken(t) && stack.identity.issuedTokens.some((i) => i.token === t && i.resource === LOGS_QUERY_AUDIENCE),
    schemas: { [TABLE_NAME]: COLUMNS, [RUN_TABLE_NAME]: RUN_COLUMNS },
    rows: () => ({ [TABLE_NAME]: stack.ingestion.acceptedOn(STREAM_NAME), [RUN_TABLE_NAME]: stack.ingestion.acceptedOn(RUN_STREAM_NAME) }),
  });
  // The CLI trusts both local endpoints' certificates (one file may hold several).
  env = { NODE_EXTRA_CA_CERTS: caFile(`${stack.ingestion.ca}\n${query.ca}`), PGAUDIT_LOGS_STORAGE: stack.azurite.connectionString };
}, 30_000);
afterAll(async () => query?.close());

const smokeArgs = (...more: string[]): string[] => ['smoke', '--query-endpoint', query.endpoint, '--poll-seconds', '0.3', ...more];

/** Canary blobs in the logs container (their names, in listing order). */
async function canaryBlobs(): Promise<string[]> {
  const names: string[] = [];
  for await (const b of stack.blobs.getContainerClient(LOGS).listBlobsFlat({ prefix: SMOKE_PREFIX })) names.push(b.name);
  return names;
}

/** Waits for a canary blob not in `before` (the running command wrote it). */
async function newCanary(before: readonly string[], running: Promise<CliRun>): Promise<string> {
  let done = false;
  void running.finally(() => (done = true));
  for (;;) {
    const fresh = (await canaryBlobs()).filter((n) => !before.includes(n));
    if (fresh.length === 1) return fresh[0]!;
    if (done) throw new Error(`smoke ended without writing a canary: ${JSON.stringify(await running)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const appRuntime = (): Promise<Runtime> => appRuntimeOf(stack);

const invocation = (functionName: string): InvocationContext => new InvocationContext({ functionName });

const serverOf = (blob: string): string => /FLEXIBLESERVERS\/([^/]+)\//.exec(blob)![1]!.toLowerCase();

describe('pgaudit-ingest smoke', () => {
  it('passes once the shipped canary is queryable, printing rows and latency; the evidence is untouched', async () => {
    // A real-looking server's blob of the same hour: the smoke test must leave it alone.
    const evidenceName = hourBlob('pg-evidence', new Date());
    const evidence = await appendBlob(stack, evidenceName);
    const s = new SessionScript('7e1.1', 811, 'alice', 'shop', new Date(), 'pg-evidence');
    await append(evidence, bytesOf([...s.connect(), ...s.audit(3)]));
    const evidenceBefore = await evidence.getProperties();

    const before = await canaryBlobs();
    const running = runCli(smokeArgs('--workspace', WORKSPACE_ID, '--timeout-minutes', '1'), env);
    const blob = await newCanary(before, running);
    const server = serverOf(blob);
    expect(server).toMatch(/^pgaudit-smoke-[0-9a-f]{10}$/);
    expect(blob.startsWith(serverPathOf(server))).toBe(true);
    // The shipper as a user runs it, for the canary's server only.
    const ship = await runCli(['ship', '--prefix', serverPathOf(server), '--state-container', 'smoke-state', '--endpoint', stack.ingestion.endpoint, '--rule-id', TEST_RULE_ID], env);
    expect(ship.code, ship.stderr).toBe(0);

    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    const arrived = stack.ingestion.acceptedOn(STREAM_NAME).filter((r) => r.ServerName === server);
    const byType = (t: string): number => arrived.filter((r) => r.EventType === t).length;
    expect(run.stdout).toContain(`smoke test passed: ${arrived.length} of ${arrived.length} canary row(s) of ${server} in PgAudit_CL`);
    expect(run.stdout).toContain(`CONNECT ${byType('CONNECT')}, AUDIT ${byType('AUDIT')}, DISCONNECT ${byType('DISCONNECT')}`);
    expect(run.stdout).toMatch(/latency: first row queryable \d+(\.\d)?s after the blob write/);
    expect(run.stderr).toMatch(/run record not yet|0 of \d+ row\(s\) in PgAudit_CL/); // progress while it waited
    // What arrived is the canary as the pipeline reads it: attributed, audited statements with the marker.
    const audits = arrived.filter((r) => r.EventType === 'AUDIT');
    expect(audits.length).toBeGreaterThan(0);
    for (const r of audits) expect(r).toMatchObject({ UserName: 'pgaudit_smoke', DatabaseName: 'postgres', Class: 'MISC', Statement: expect.stringContaining(`pgaudit_smoke_${server.slice(-10)}`) as unknown });
    expect(arrived.filter((r) => r.EventType === 'UNPARSED' || r.EventType === 'GAP')).toEqual([]);
    // The query double was asked with a Log Analytics token, through the workspace route.
    expect(query.requests.filter((q) => q.status === 200 && q.path === `/v1/workspaces/${WORKSPACE_ID}/query`).length).toBeGreaterThan(1);

    const evidenceAfter = await evidence.getProperties();
    expect({ etag: evidenceAfter.etag, length: evidenceAfter.contentLength }).toEqual({ etag: evidenceBefore.etag, length: evidenceBefore.contentLength });
    expect(await canaryBlobs()).toContain(blob); // the canary stays
    const props = await stack.blobs.getContainerClient(LOGS).getBlobClient(blob).getProperties();
    expect(props.metadata).toEqual({ pgauditsmoke: server.slice(-10) });
  });

  it('reads an `azd env get-values` file and queries by workspace resource id; the app ships it (BlobCreated → blobCreated → queue → shipServer)', async () => {
    const file = `${caFile('unused')}.env`;
    // What azd prints: KEY="value" lines (a connection string stands in for LOGS_STORAGE_ACCOUNT_NAME here).
    writeFileSync(file, [`AZURE_ENV_NAME="pgaudit-test"`, `LOG_ANALYTICS_WORKSPACE_ID="${WORKSPACE_RESOURCE_ID}"`, `PGAUDIT_LOGS_CONTAINER="${LOGS}"`, `PGAUDIT_LOGS_STORAGE="${stack.azurite.connectionString}"`, ''].join('\n'));
    const before = await canaryBlobs();
    // The file wins over the environment: this storage would fail.
    const running = runCli(smokeArgs('--azd-env-file', file, '--timeout-minutes', '1'), { ...env, PGAUDIT_LOGS_STORAGE: 'BlobEndpoint=http://127.0.0.1:1/nowhere;AccountName=nowhere' });
    const blob = await newCanary(before, running);

    const rt = await appRuntime();
    try {
      // The event Event Grid sends for the canary's one Put Blob, to the blobCreated function.
      const subject = `/blobServices/default/containers/${LOGS}/blobs/${blob}`;
      await onBlobCreated({ id: '1', topic: '/t', eventType: 'Microsoft.Storage.BlobCreated', subject, eventTime: new Date().toISOString(), dataVersion: '', metadataVersion: '1', data: { api: 'PutBlob' } }, invocation('blobCreated'));
      const drained = await drainQueue(rt.queue.queue, rt.queue.poison, onShipServer, { host: hostQueueSettings(), untilEmpty: true, timeoutMs: 30_000 });
      expect([drained.handled, drained.failed]).toEqual([1, 0]);
    } finally {
      useRuntime(null);
    }
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/smoke test passed: (\d+) of \1 canary row\(s\)/);
    expect(query.requests.some((q) => q.status === 200 && q.path === `/v1${WORKSPACE_RESOURCE_ID}/query`)).toBe(true);
  });

  it('times out with what it saw and where to look when nothing ships the canary (exit 1)', async () => {
    const before = await canaryBlobs();
    const run = await runCli(smokeArgs('--workspace', WORKSPACE_ID, '--timeout-minutes', '0.04'), env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/0 of \d+ canary row\(s\) in PgAudit_CL and no run record after 0\.\d min: the app did not ship the canary blob/);
    expect(run.stderr).toMatch(/Event Grid subscription pgaudit-blob-created/);
    expect(run.stderr).toMatch(/PgAudit_CL \| where ServerName == 'pgaudit-smoke-[0-9a-f]{10}'/);
    expect((await canaryBlobs()).filter((n) => !before.includes(n))).toHaveLength(1); // written, left in place
  });

  it('stops with the dead-letter fix when the service refuses the canary rows as invalid', async () => {
    const before = await canaryBlobs();
    const running = runCli(smokeArgs('--workspace', WORKSPACE_ID, '--timeout-minutes', '1'), env);
    const blob = await newCanary(before, running);
    const server = serverOf(blob);
    // A table whose columns differ from this release's: the service answers 400 for the rows.
    stack.ingestion.setOnRequest((rows, _i, c) => (c.stream === STREAM_NAME && rows.some((r) => r.ServerName === server) ? { status: 400, code: 'InvalidPayload', body: 'column mismatch' } : null));
    try {
      const ship = await runCli(['ship', '--prefix', serverPathOf(server), '--state-container', 'smoke-state', '--deadletter-container', 'smoke-dead', '--endpoint', stack.ingestion.endpoint, '--rule-id', TEST_RULE_ID], env);
      expect(ship.stderr).toMatch(/dead-lettered 5/);
    } finally {
      stack.ingestion.setOnRequest(undefined);
    }
    const run = await running;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the service refused 5 canary row\(s\) as invalid; they were dead-lettered \(the table or the DCR stream does not match/);
  });

  it('never replaces a blob: a canary name that exists is refused (409) and left as it was', async () => {
    const at = new Date();
    const name = createCanary('00c0ffee00', at, 'x').blobName;
    const existing = stack.blobs.getContainerClient(LOGS).getBlockBlobClient(name);
    await existing.upload('not yours', 9);
    let asked = 0;
    const attempt = runSmokeTest(
      { container: stack.blobs.getContainerClient(LOGS), query: () => ((asked += 1), Promise.resolve([])), version: 'x', log: () => undefined, out: () => undefined, now: () => at.getTime() },
      { timeoutMs: 1000, pollMs: 100, id: '00c0ffee00' },
    );
    await expect(attempt).rejects.toMatchObject({ code: 'BlobWriteFailed', message: expect.stringMatching(/already exists .*HTTP 409.*nothing was overwritten/) as unknown });
    expect((await existing.downloadToBuffer()).toString()).toBe('not yours');
    expect(asked).toBe(0);
  });

  it('names the storage role when the blob write is refused (HTTP 403), and asks nothing', async () => {
    const asked = query.requests.length;
    const wrongKey = stack.azurite.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${Buffer.from('not the key').toString('base64')}`);
    const run = await runCli(smokeArgs('--workspace', WORKSPACE_ID, '--storage', wrongKey), env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/writing the canary into .* was refused \(HTTP 403/);
    expect(run.stderr).toMatch(/Storage Blob Data Contributor on the logs account/);
    expect(query.requests.length).toBe(asked);
  });

  it('names the workspace role when the query is refused (HTTP 403)', async () => {
    query.forbid();
    try {
      const run = await runCli(smokeArgs('--workspace', WORKSPACE_ID, '--timeout-minutes', '1'), env);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/querying the workspace .* failed with HTTP 403 \(InsufficientAccessError\)/);
      expect(run.stderr).toMatch(/Log Analytics Reader/);
    } finally {
      query.forbid(false);
    }
  });

  it.each([
    { name: 'no workspace', args: [], message: /--workspace: is required but not set/ },
    { name: 'a workspace name', args: ['--workspace', 'log-pgaudit'], message: /--workspace: must be the workspace id \(a GUID\) or its resource id/ },
    { name: 'a zero timeout', args: ['--workspace', WORKSPACE_ID, '--timeout-minutes', '0'], message: /--timeout-minutes must be a positive number of minutes/ },
    { name: 'a missing env file', args: ['--workspace', WORKSPACE_ID, '--azd-env-file', '/nonexistent/azd.env'], message: /--azd-env-file \/nonexistent\/azd.env: cannot read it .*azd env get-values >/ },
  ])('refuses $name with exit 2 before writing anything', async ({ args, message }) => {
    const before = await canaryBlobs();
    const run = await runCli(['smoke', ...args], { ...env, LOG_ANALYTICS_WORKSPACE_ID: undefined, LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID: undefined });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(await canaryBlobs()).toEqual(before);
  });
});
