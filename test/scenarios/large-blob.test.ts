// A 1 GB diagnostic blob through `pgaudit-ingest ship` (a separate process): every row arrives
// once and the process's peak RSS stays under 256 MB. PGAUDIT_LARGE_BLOB_MB shrinks it locally.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STREAM_NAME } from '../../src/schema.js';
import { caFile, runCli } from '../helpers/cli-process.js';
import { startStack, TEST_RULE_ID, type Stack } from '../support/stack.js';
import { acceptedFor, append, appendBlob, LOGS } from './harness.js';
import { bytesOf, hourBlob, serverPath, SessionScript } from './workload.js';

const TARGET_MB = Number(process.env.PGAUDIT_LARGE_BLOB_MB ?? 1024);
const RSS_LIMIT = 256 * 1024 * 1024;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
  await stack.blobs.getContainerClient(LOGS).createIfNotExists();
}, 30_000);
afterAll(async () => {
  await stack?.close();
});

it(`a ${TARGET_MB} MB blob ships completely with peak RSS ≤ 256 MB`, async () => {
  const server = 'pg-large';
  const hour = new Date('2026-10-01T00:00:00Z');
  const blob = await appendBlob(stack, hourBlob(server, hour));
  let written = 0;
  let expectedRows = 0;
  // 4 MB appends, one session each: audited statements between lines the pipeline drops.
  for (let k = 0; written < TARGET_MB * 1024 * 1024; k++) {
    const s = new SessionScript(`8a.${k}`, 1000 + k, `user${k % 50}`, 'big', hour, server, 400);
    const lines = s.connect();
    let size = 0;
    while (size < 4 * 1024 * 1024 - 8192) {
      const more = [...s.audit(1), ...s.noise(2)];
      size += more.reduce((n, l) => n + l.length + 1, 0);
      lines.push(...more);
    }
    lines.push(...s.disconnect());
    const bytes = bytesOf(lines);
    await append(blob, bytes);
    written += bytes.length;
    expectedRows += s.expected.length + 2;
  }
  const started = performance.now();
  const run = await runCli(
    ['ship', '--prefix', serverPath(server), '--state-container', 'large-state', '--endpoint', stack.ingestion.endpoint, '--rule-id', TEST_RULE_ID, '--stream', STREAM_NAME],
    { NODE_EXTRA_CA_CERTS: caFile(stack.ingestion.ca), PGAUDIT_LOGS_STORAGE: stack.azurite.connectionString, NODE_OPTIONS: process.env.LARGE_NODE_OPTIONS ?? '' },
  );
  expect(run.code, run.stderr).toBe(0);
  const rows = acceptedFor(stack, server);
  expect(rows.length).toBe(expectedRows);
  expect(new Set(rows.map((r) => r.RecordId)).size).toBe(expectedRows);
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(0);
  const seconds = (performance.now() - started) / 1000;
  const uploads = stack.ingestion.requests.filter((r) => r.status === 204);
  const perRequest = uploads.reduce((n, r) => n + r.bytes, 0) / uploads.length;
  console.log(
    `large blob: ${mb(written)} MB, ${expectedRows} rows in ${seconds.toFixed(1)} s (${Math.round(expectedRows / seconds)} rows/s, ${(written / 1e6 / seconds).toFixed(1)} MB/s), ` +
      `${uploads.length} uploads of ${(perRequest / 1e6).toFixed(3)} MB JSON on average, peak RSS ${mb(run.maxRssBytes)} MB`,
  );
  expect(run.maxRssBytes).toBeLessThanOrEqual(RSS_LIMIT);
}, 900_000);
