// The Azurite launcher gives a real Blob service that the real @azure/storage-blob client uses:
// append blobs, range reads, conditional writes and leases behave as in Azure Storage.
import { BlobServiceClient, RestError, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteHandle } from '../support/azurite.js';

let azurite: AzuriteHandle;
let container: ContainerClient;
beforeAll(async () => {
  azurite = await startAzurite();
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('support-tests');
  await container.create();
});
afterAll(async () => {
  await azurite?.close();
});

async function statusOf(p: Promise<unknown>): Promise<number | undefined> {
  const err: unknown = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(RestError);
  return (err as RestError).statusCode;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('Azurite launcher', () => {
  it('listens on the port it reports, with the devstoreaccount1 connection string', () => {
    expect(azurite.port).toBeGreaterThan(0);
    expect(azurite.blobEndpoint).toBe(`http://127.0.0.1:${azurite.port}/devstoreaccount1`);
    expect(azurite.connectionString).toContain(`BlobEndpoint=http://127.0.0.1:${azurite.port}/devstoreaccount1;`);
    expect(azurite.connectionString).toContain('AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;');
  });

  it('appends in several blocks and reads a range from an offset', async () => {
    const blob = container.getAppendBlobClient('server/PT1H.json');
    await blob.create();
    const lines = ['{ "a": 1 }\n', '{ "b": 22 }\n', '{ "c": 333 }\n'];
    for (const line of lines) await blob.appendBlock(line, Buffer.byteLength(line));
    const props = await blob.getProperties();
    expect(props.blobType).toBe('AppendBlob');
    expect(props.contentLength).toBe(lines.join('').length);
    expect(props.blobCommittedBlockCount).toBe(3);
    const offset = lines[0]!.length;
    const range = await blob.download(offset, lines[1]!.length);
    const text = (await streamText(range.readableStreamBody!)).toString();
    expect(text).toBe(lines[1]);
    expect(range.contentRange).toBe(`bytes ${offset}-${offset + lines[1]!.length - 1}/${props.contentLength}`);
    // Reading from an offset to the end gives the rest.
    const rest = await blob.downloadToBuffer(offset);
    expect(rest.toString()).toBe(lines[1]! + lines[2]!);
  });

  it('refuses a write conditioned on a stale ETag with 412, and an append at the wrong position', async () => {
    const blob = container.getBlockBlobClient('state/checkpoint.json');
    const first = await blob.upload('{"offset":0}', 12);
    const second = await blob.upload('{"offset":10}', 13, { conditions: { ifMatch: first.etag } });
    expect(second.etag).not.toBe(first.etag);
    expect(await statusOf(blob.upload('{"offset":20}', 13, { conditions: { ifMatch: first.etag } }))).toBe(412);
    expect(await statusOf(blob.upload('{}', 2, { conditions: { ifNoneMatch: '*' } }))).toBe(409);
    expect((await blob.downloadToBuffer()).toString()).toBe('{"offset":10}');
    const append = container.getAppendBlobClient('state/append.log');
    await append.create();
    await append.appendBlock('abc', 3);
    expect(await statusOf(append.appendBlock('def', 3, { conditions: { appendPosition: 0 } }))).toBe(412);
    await append.appendBlock('def', 3, { conditions: { appendPosition: 3 } });
    expect((await append.downloadToBuffer()).toString()).toBe('abcdef');
  });

  it('grants a lease to one holder, refuses a second one (409) and writes without the lease id (412)', async () => {
    const blob = container.getBlockBlobClient('state/lease.json');
    await blob.upload('{}', 2);
    const holder = blob.getBlobLeaseClient();
    const other = blob.getBlobLeaseClient();
    expect(holder.leaseId).not.toBe(other.leaseId);
    await holder.acquireLease(15);
    expect(await statusOf(other.acquireLease(15))).toBe(409);
    expect(await statusOf(blob.upload('{"x":1}', 7))).toBe(412);
    await blob.upload('{"x":2}', 7, { conditions: { leaseId: holder.leaseId } });
    expect((await blob.getProperties()).leaseState).toBe('leased');
    await holder.releaseLease();
    await other.acquireLease(15);
    await other.releaseLease();
    expect((await blob.downloadToBuffer()).toString()).toBe('{"x":2}');
  });

  it('fails loudly when Azurite cannot start, and close() ends the process', async () => {
    // A port in use makes Azurite exit at once: the error carries what it printed on stderr.
    await expect(startAzurite({ port: azurite.port })).rejects.toThrow(/Azurite exited \(code [1-9][\s\S]*--- stderr ---\n.*EADDRINUSE/);
    await expect(startAzurite({ timeoutMs: 1 })).rejects.toThrow(/Azurite did not start within 1 ms/);
    const second = await startAzurite();
    expect(second.port).not.toBe(azurite.port);
    expect(isAlive(second.pid)).toBe(true);
    await second.close();
    expect(isAlive(second.pid)).toBe(false);
    await second.close(); // idempotent
  });
});

async function streamText(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}
