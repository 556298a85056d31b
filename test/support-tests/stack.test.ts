// startStack wires the three parts: the product's clients (DefaultAzureCredential → managed-identity
// double → bearer token the ingestion double accepts; Azurite by connection string) work as built.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyRow, STREAM_NAME } from '../../src/schema.js';
import { startStack, TEST_RULE_ID, type Stack } from '../support/index.js';

let stack: Stack;
const before = process.env.IDENTITY_ENDPOINT;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('startStack', () => {
  it('ships through the clients the product builds, with a token from the identity double', async () => {
    const clients = stack.clients();
    const row = { ...emptyRow(), EventType: 'AUDIT', RecordId: 'stack-1', TimeGenerated: '2026-11-22T10:00:00Z' };
    expect((await clients.ingestion.post(TEST_RULE_ID, STREAM_NAME, JSON.stringify([row]), AbortSignal.timeout(10_000))).status).toBe(204);
    expect(stack.ingestion.accepted).toEqual([row]);
    expect(stack.identity.requests.filter((r) => r.status === 200)).toHaveLength(1);
    expect(stack.identity.requests[0]).toMatchObject({ resource: 'https://monitor.azure.com', clientId: null });
    const container = clients.logs.getContainerClient('insights-logs-postgresqllogs');
    await container.create();
    await container.getBlockBlobClient('a.json').upload('{}', 2);
    expect((await stack.blobs.getContainerClient('insights-logs-postgresqllogs').getBlockBlobClient('a.json').downloadToBuffer()).toString()).toBe('{}');
  });

  it('refuses tokens once revoked, and restores the environment on close', async () => {
    stack.identity.revokeAll();
    expect(await stack.clients().ingestion.post(TEST_RULE_ID, STREAM_NAME, JSON.stringify([emptyRow()]), AbortSignal.timeout(10_000))).toMatchObject({ status: 401 });
    expect(process.env.IDENTITY_ENDPOINT).toBe(stack.identity.endpoint);
    await stack.close();
    expect(process.env.IDENTITY_ENDPOINT).toBe(before);
    await expect(fetch(`${stack.identity.endpoint}?api-version=2019-08-01&resource=x`)).rejects.toThrow();
    await expect(fetch(`${stack.azurite.blobEndpoint}?comp=list`)).rejects.toThrow();
    await expect(fetch(stack.ingestion.endpoint)).rejects.toThrow();
  });
});
