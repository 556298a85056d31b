// Checkpoints and session state in a blob container of the function's own storage account.
//
// One JSON document per server (`servers/<id>.json`) holds the session snapshot and the byte
// offset of every open blob of that server: sessions span blobs, so a server is processed by one
// worker at a time and its document is written in one piece, making offsets and sessions agree.
// Ownership is a lease on that document (never on Azure Monitor's own append blobs: a lease
// there would block its appends). Closed blobs move to small `done/<blob>.json` markers so the
// server document stays small.
import { createHash } from 'node:crypto';
import type { BlobLeaseClient, ContainerClient } from '@azure/storage-blob';
import type { PipelineSnapshot } from '../pipeline/audit-pipeline.js';
import { LeaseLostError } from './lease-lost-error.js';
import { readBlobText, statusOf } from './read-text.js';

export interface BlobCheckpoint {
  /** Next byte to read. */
  offset: number;
  /** Blob length when last read. */
  length: number;
  etag: string | null;
  /** Creation time of the blob: a different one means the blob was replaced. */
  createdOn: string | null;
  rows: number;
  deadLettered: number;
  updatedAt: string;
}

export interface ServerState {
  version: 1;
  serverPath: string;
  sessions: PipelineSnapshot | null;
  blobs: Record<string, BlobCheckpoint>;
  updatedAt: string | null;
}

export interface StateStoreOptions {
  readonly leaseSeconds: number;
  readonly renewEveryMs: number;
}

const DEFAULTS: StateStoreOptions = { leaseSeconds: 60, renewEveryMs: 20_000 };

export function newServerState(serverPath: string): ServerState {
  return { version: 1, serverPath, sessions: null, blobs: {}, updatedAt: null };
}

export class StateStore {
  private readonly options: StateStoreOptions;

  constructor(
    readonly container: ContainerClient,
    options: Partial<StateStoreOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  async ensureContainer(): Promise<void> {
    await this.container.createIfNotExists();
  }

  static serverDocName(serverPath: string): string {
    const id = createHash('sha256').update(serverPath).digest('hex').slice(0, 20);
    const tail = serverPath.split('/').filter(Boolean).pop() ?? 'server';
    return `servers/${tail.toLowerCase().replace(/[^a-z0-9-]/g, '_')}-${id}.json`;
  }

  /** Reads every server document (no lease: for status and sweep planning). */
  async listServers(): Promise<ServerState[]> {
    const out: ServerState[] = [];
    for await (const item of this.container.listBlobsFlat({ prefix: 'servers/' })) {
      const doc = await readBlobText(this.container.getBlobClient(item.name));
      if (doc) out.push(JSON.parse(doc.text) as ServerState);
    }
    return out;
  }

  async readServer(serverPath: string): Promise<ServerState> {
    const doc = await readBlobText(this.container.getBlobClient(StateStore.serverDocName(serverPath)));
    return doc ? (JSON.parse(doc.text) as ServerState) : newServerState(serverPath);
  }

  /** Takes ownership of a server, or returns null when another worker holds it. */
  async acquire(serverPath: string): Promise<ServerLease | null> {
    const name = StateStore.serverDocName(serverPath);
    const blob = this.container.getBlockBlobClient(name);
    const initial = JSON.stringify(newServerState(serverPath));
    try {
      await blob.upload(initial, Buffer.byteLength(initial), { conditions: { ifNoneMatch: '*' }, blobHTTPHeaders: { blobContentType: 'application/json' } });
    } catch (err) {
      // 409 (leased) or 412 (exists): it is there already, which is what we need.
      if (statusOf(err) !== 409 && statusOf(err) !== 412) throw err;
    }
    const leaseClient = blob.getBlobLeaseClient();
    try {
      await leaseClient.acquireLease(this.options.leaseSeconds);
    } catch (err) {
      if (statusOf(err) === 409) return null;
      throw err;
    }
    const doc = await readBlobText(blob);
    const state = doc ? (JSON.parse(doc.text) as ServerState) : newServerState(serverPath);
    return new ServerLease(name, state, leaseClient, this, this.options.renewEveryMs);
  }

  /** Writes a server document under a lease (ServerLease.save calls this). */
  async writeServer(name: string, state: ServerState, leaseId: string): Promise<void> {
    const body = JSON.stringify(state);
    await this.container
      .getBlockBlobClient(name)
      .upload(body, Buffer.byteLength(body), { conditions: { leaseId }, blobHTTPHeaders: { blobContentType: 'application/json' } });
  }

  static doneName(blobName: string): string {
    return `done/${blobName}.json`;
  }

  async readDone(blobName: string): Promise<BlobCheckpoint | null> {
    const doc = await readBlobText(this.container.getBlobClient(StateStore.doneName(blobName)));
    return doc ? (JSON.parse(doc.text) as BlobCheckpoint) : null;
  }

  async writeDone(blobName: string, checkpoint: BlobCheckpoint): Promise<void> {
    const body = JSON.stringify(checkpoint);
    await this.container.getBlockBlobClient(StateStore.doneName(blobName)).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }
}

/** Ownership of one server's state; renewed in the background until released. */
export class ServerLease {
  private lost: unknown = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly docName: string,
    readonly state: ServerState,
    private readonly lease: BlobLeaseClient,
    private readonly store: StateStore,
    renewEveryMs: number,
  ) {
    this.timer = setInterval(() => {
      this.lease.renewLease().catch((err: unknown) => (this.lost = err ?? new Error('renew failed')));
    }, renewEveryMs);
    this.timer.unref();
  }

  /** Throws LeaseLostError when ownership was lost, so nothing is shipped or written twice. */
  assertOwned(): void {
    if (this.lost !== null) throw new LeaseLostError(this.docName, { cause: this.lost });
  }

  async save(): Promise<void> {
    this.assertOwned();
    this.state.updatedAt = new Date().toISOString();
    try {
      await this.store.writeServer(this.docName, this.state, this.lease.leaseId);
    } catch (err) {
      if (statusOf(err) === 412 || statusOf(err) === 409) throw new LeaseLostError(this.docName, { cause: err });
      throw err;
    }
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.lease.releaseLease();
    } catch {
      // Expired or already released: it frees itself after the lease duration anyway.
    }
  }
}
