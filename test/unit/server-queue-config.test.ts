// The pieces of the fan-out that need no service: host.json's queue settings as the app reads
// them (one definition with the file the host reads), the message encoding, and which queue
// service a state connection names (identity URI given or derived; connection strings must name
// their queue endpoint, or the SDK would silently build one of another account).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dequeueCountOf } from '../../src/app/queue-steps.js';
import { hostQueueSettings, parseHostQueueSettings } from '../../src/config/host-queue-settings.js';
import { HostSettingsError } from '../../src/errors/host-settings-error.js';
import { QueueConnectionError } from '../../src/errors/queue-connection-error.js';
import { queueServiceClient, queueServiceUriOf } from '../../src/config/queue-client.js';
import { storageConnectionFromCli, storageConnectionFromEnv } from '../../src/config/storage-connection.js';
import { readServerMessage, serverMessageText } from '../../src/ship/server-message.js';
import { encodeMessage } from '../../src/ship/server-queue.js';

const root = path.resolve(import.meta.dirname, '../..');

describe("host.json's queue settings", () => {
  it('are read from the host.json the host reads', () => {
    const file = JSON.parse(readFileSync(path.join(root, 'host.json'), 'utf8')) as { extensions: { queues: Record<string, unknown> } };
    const q = file.extensions.queues;
    const s = hostQueueSettings();
    expect([s.batchSize, s.newBatchThreshold, s.maxDequeueCount, s.messageEncoding]).toEqual([q.batchSize, q.newBatchThreshold, q.maxDequeueCount, q.messageEncoding]);
    expect(s.visibilityTimeoutSeconds).toBe(String(q.visibilityTimeout).split(':').map(Number).reduce((a, b) => a * 60 + b, 0));
  });

  it("absent values are the extension's defaults (QueuesOptions)", () => {
    expect(parseHostQueueSettings('{"version":"2.0"}')).toEqual({ batchSize: 16, newBatchThreshold: 8, maxDequeueCount: 5, visibilityTimeoutSeconds: 0, messageEncoding: 'base64' });
    expect(parseHostQueueSettings('{"version":"2.0","extensions":{"queues":{"batchSize":4}}}').newBatchThreshold).toBe(2);
  });

  it('a host.json this release cannot use stops with the file and the field named', () => {
    expect(() => parseHostQueueSettings('{', 'x/host.json')).toThrow(HostSettingsError);
    expect(() => parseHostQueueSettings('{"version":"2.0","extensions":{"queues":{"maxDequeueCount":0}}}', 'x/host.json')).toThrow(/x\/host\.json: extensions\.queues\.maxDequeueCount/);
    expect(() => parseHostQueueSettings('{"version":"2.0","extensions":{"queues":{"messageEncoding":"utf8"}}}')).toThrow(/messageEncoding/);
  });
});

describe('queue messages', () => {
  it('base64 of the JSON text, decoded back to the same valid message', () => {
    const text = serverMessageText({ serverPath: 'resourceId=/S/', blobs: ['resourceId=/S/y=2026/m=12/d=02/h=10/m=00/PT1H.json'], reason: 'blobCreated' }, new Date('2026-12-02T10:00:00Z'));
    const wire = encodeMessage(text, 'base64');
    expect(wire).not.toContain('{');
    const read = readServerMessage(Buffer.from(wire, 'base64').toString('utf8'));
    expect(read).toEqual({ ok: true, message: { version: 1, serverPath: 'resourceId=/S/', blobs: ['resourceId=/S/y=2026/m=12/d=02/h=10/m=00/PT1H.json'], reason: 'blobCreated', enqueuedAt: '2026-12-02T10:00:00.000Z' } });
    expect(encodeMessage(text, 'none')).toBe(text);
  });

  it('the dequeue count comes from the trigger metadata, or is unknown', () => {
    expect(dequeueCountOf({ triggerMetadata: { dequeueCount: 3 } })).toBe(3);
    expect(dequeueCountOf({ triggerMetadata: { dequeueCount: '2' } })).toBe(2);
    expect(dequeueCountOf({ triggerMetadata: {} })).toBeNull();
    expect(dequeueCountOf({ triggerMetadata: undefined })).toBeNull();
  });
});

describe('the queue service of the state connection', () => {
  it('identity: __queueServiceUri when given, else the blob service URI with .queue.', () => {
    const problems: string[] = [];
    const given = storageConnectionFromEnv('S', { S__blobServiceUri: 'https://st1.blob.core.windows.net', S__queueServiceUri: 'https://st1.queue.core.windows.net' }, problems);
    const derived = storageConnectionFromEnv('S', { S__blobServiceUri: 'https://st2.blob.core.chinacloudapi.cn/' }, problems);
    expect(problems).toEqual([]);
    expect(queueServiceUriOf(given as never)).toBe('https://st1.queue.core.windows.net');
    expect(queueServiceUriOf(derived as never)).toBe('https://st2.queue.core.chinacloudapi.cn');
    expect(queueServiceUriOf(storageConnectionFromCli('https://st3.blob.core.windows.net') as never)).toBe('https://st3.queue.core.windows.net');
    expect(() => queueServiceUriOf(storageConnectionFromCli('http://127.0.0.1:10000/devstoreaccount1') as never)).toThrow(QueueConnectionError);
    storageConnectionFromEnv('S', { S__blobServiceUri: 'https://st1.blob.core.windows.net', S__queueServiceUri: 'st1.queue' }, problems);
    expect(problems).toEqual([expect.stringMatching(/^S__queueServiceUri: must be a URL/)]);
  });

  it('a connection string must name its queue endpoint (a BlobEndpoint alone would make the SDK guess another account)', () => {
    const key = 'a2V5';
    const blobOnly = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;`;
    expect(() => queueServiceClient({ kind: 'connection-string', connectionString: blobOnly }, undefined)).toThrow(/names no queue endpoint/);
    expect(queueServiceClient({ kind: 'connection-string', connectionString: `${blobOnly}QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;` }, undefined).url).toBe('http://127.0.0.1:10001/devstoreaccount1');
    expect(queueServiceClient({ kind: 'connection-string', connectionString: 'UseDevelopmentStorage=true' }, undefined).url).toBe('http://127.0.0.1:10001/devstoreaccount1');
    expect(queueServiceClient({ kind: 'connection-string', connectionString: `DefaultEndpointsProtocol=https;AccountName=st4;AccountKey=${key};EndpointSuffix=core.windows.net` }, undefined).url).toBe('https://st4.queue.core.windows.net');
  });
});

describe("host.json without queue settings: the extension's defaults", () => {
  const defaults = { batchSize: 16, newBatchThreshold: 8, maxDequeueCount: 5, visibilityTimeoutSeconds: 0, messageEncoding: 'base64' };
  it.for([
    { name: 'no extensions', text: '{"version":"2.0"}', expected: defaults },
    { name: 'no queues', text: '{"version":"2.0","extensions":{}}', expected: defaults },
    { name: 'empty queues', text: '{"version":"2.0","extensions":{"queues":{}}}', expected: defaults },
    { name: 'one value given', text: '{"version":"2.0","extensions":{"queues":{"batchSize":4}}}', expected: { ...defaults, batchSize: 4, newBatchThreshold: 2 } },
  ])('$name', ({ text, expected }) => {
    expect(parseHostQueueSettings(text)).toEqual(expected);
  });
});
