// The deployment package works, not only loads: the bundle azd uploads (scripts/package-function.ts)
// runs its own handlers in a separate process, as the Node.js worker would, against the local stack
// (Azurite blob and queue, the HTTPS Logs Ingestion endpoint, the managed-identity endpoint).
// blobCreated puts the new blob's server on the queue; shipServer, given that message, ships every
// row exactly once and writes its run records. Anything the bundler got wrong (a require it could
// not follow, a file it left behind, the worker script) fails here instead of in Azure.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_STREAM_NAME } from '../../src/run-record-schema.js';
import { buildFunctionPackage } from '../../scripts/package-function.js';
import { appSettingsEnv } from '../support/stack.js';
import { acceptedFor, append, appendBlob, cliEnv, expectExactlyOnce, LOGS, stackPerFile } from './harness.js';
import { bytesOf, hourBlob, SessionScript } from './workload.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const stack = stackPerFile({ queue: true });
const dir = mkdtempSync(path.join(tmpdir(), 'pgaudit-package-run-'));
beforeAll(async () => void (await buildFunctionPackage(ROOT, dir)), 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runPackaged(name: string, input: unknown): Promise<string> {
  const env = {
    ...process.env,
    ...cliEnv(stack),
    ...appSettingsEnv(stack, 'pkg'),
  };
  const args = ['--require', path.join(ROOT, 'test/functions/fake-functions-core.cjs'), path.join(ROOT, 'test/functions/run-packaged-handler.mjs'), dir, name, JSON.stringify(input)];
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: dir, env, timeout: 60_000 });
  expect(stdout, stdout).toContain('@@DONE@@');
  return stdout;
}

describe('the deployment package, run', () => {
  it('blobCreated enqueues the blob; shipServer ships it from that message: every row once, with run records', async () => {
    const server = 'pg-packaged';
    const now = new Date();
    const hour = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), now.getUTCHours()));
    const name = hourBlob(server, hour);
    const s = new SessionScript('6f1.1', 611, 'paula', 'ledger', hour, server);
    await append(await appendBlob(stack, name), bytesOf([...s.connect(), ...s.audit(25), ...s.disconnect()]));

    const event = { id: '1', topic: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/logs', eventType: 'Microsoft.Storage.BlobCreated', subject: `/blobServices/default/containers/${LOGS}/blobs/${name}`, eventTime: now.toISOString(), dataVersion: '', metadataVersion: '1', data: { api: 'PutBlob' } };
    const created = await runPackaged('blobCreated', event);
    expect(created).toMatch(/"event":"pgaudit-ingest.enqueued","trigger":"blobCreated"/);

    // The message, as the host would hand it over (host.json: base64).
    const queue = stack.queueService().getQueueClient('pkg-servers');
    const { receivedMessageItems: [item] } = await queue.receiveMessages({ numberOfMessages: 1 });
    expect(item).toBeDefined();
    const message = JSON.parse(Buffer.from(item!.messageText, 'base64').toString('utf8')) as { serverPath: string; blobs: string[] };
    expect(message.blobs).toEqual([name]);

    const shipped = await runPackaged('shipServer', message);
    expect(shipped).not.toMatch(/^error /m);
    expectExactlyOnce(acceptedFor(stack, server), s.expected, { otherRows: 2 });
    const records = stack.ingestion.acceptedOn(RUN_STREAM_NAME).filter((r) => r.Trigger === 'queue' && r.ServerName === server);
    expect(records.map((r) => r.RecordType)).toEqual(expect.arrayContaining(['blob', 'heartbeat']));
    await queue.deleteMessage(item!.messageId, item!.popReceipt);
  });
});
