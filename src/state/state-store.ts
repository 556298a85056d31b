// Checkpoints, session snapshots and blob markers in a container of the function's own storage
// account (docs/design.md "State layout"):
//   servers/<id>.json            per server: the byte offset of every open blob (small, leased)
//   sessions/<id>/<gen>-<uuid>.json   the session snapshot those offsets belong to
//   markers/<blob>.json          per blob: tracking (has a checkpoint) or done (left the live window)
// Ownership of a server is a lease on its servers/ document, never on Azure Monitor's append
// blobs (a lease there would block its appends). Every document is validated on read
// (documents.ts); a bad one stops that server only, with its lease released.
import { createHash } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import type { SavedSession } from '../enrich/sessions.js';
import { readMarker, readServerState, readSessions, SERVER_STATE_VERSION, type BlobMarker, type ServerState } from './documents.js';
import { readBlobText, statusOf } from './read-text.js';
import { ServerLease, type StateNotice } from './server-lease.js';
import { serverMetadata } from './server-metadata.js';
import { StateDocumentError } from '../errors/state-document-error.js';

export interface StateStoreOptions {
  readonly leaseSeconds: number;
  readonly renewEveryMs: number;
}

/** How long a server's lease lasts unless renewed: a crashed owner frees the server after this. */
export const LEASE_SECONDS = 60;
const DEFAULTS: StateStoreOptions = { leaseSeconds: LEASE_SECONDS, renewEveryMs: 20_000 };

export function newServerState(serverPath: string, now = new Date()): ServerState {
  return { version: SERVER_STATE_VERSION, serverPath, blobs: {}, sessions: null, createdAt: now.toISOString(), updatedAt: null };
}

/** A marker as a listing shows it (from the marker's metadata, without reading it). */
export interface ListedMarker {
  readonly blob: string;
  readonly state: BlobMarker['state'];
  readonly offset: number;
  readonly createdOn: string | null;
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

  /** `servers/<name>-<hash>.json`; the same stem names the server's session snapshots. */
  static serverDocName(serverPath: string): string {
    return `servers/${StateStore.serverStem(serverPath)}.json`;
  }

  static serverStem(serverPath: string): string {
    const id = createHash('sha256').update(serverPath).digest('hex').slice(0, 20);
    const tail = serverPath.split('/').filter(Boolean).pop() ?? 'server';
    return `${tail.toLowerCase().replace(/[^a-z0-9-]/g, '_')}-${id}`;
  }

  static markerName(blobName: string): string {
    return `markers/${blobName}.json`;
  }

  /**
   * Every server document (offsets only: no session snapshot is read). A document that cannot be
   * read is returned as a problem; the others are still listed.
   */
  async listServers(): Promise<{ states: ServerState[]; problems: StateDocumentError[] }> {
    const states: ServerState[] = [];
    const problems: StateDocumentError[] = [];
    for await (const item of this.container.listBlobsFlat({ prefix: 'servers/' })) {
      const doc = await readBlobText(this.container.getBlobClient(item.name));
      if (!doc) continue;
      try {
        states.push(readServerState(item.name, doc.text));
      } catch (err) {
        if (!(err instanceof StateDocumentError)) throw err;
        problems.push(err);
      }
    }
    return { states, problems };
  }

  /**
   * Takes ownership of a server, or returns null when another worker holds it. A document that
   * cannot be read throws StateDocumentError after the lease is released.
   */
  async acquire(serverPath: string): Promise<ServerLease | null> {
    const name = StateStore.serverDocName(serverPath);
    const blob = this.container.getBlockBlobClient(name);
    const leaseClient = blob.getBlobLeaseClient();
    // The lease first: the document exists for every server shipped before (one request, not two).
    // Only a server without one (404) has it created, and is leased then.
    let created = false;
    const lease = async (): Promise<boolean> => {
      try {
        await leaseClient.acquireLease(this.options.leaseSeconds);
        return true;
      } catch (err) {
        if (statusOf(err) === 409) return false;
        throw err;
      }
    };
    let leased: boolean;
    try {
      leased = await lease();
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      const fresh = newServerState(serverPath);
      const initial = JSON.stringify(fresh);
      try {
        await blob.upload(initial, Buffer.byteLength(initial), { conditions: { ifNoneMatch: '*' }, metadata: serverMetadata(fresh), blobHTTPHeaders: { blobContentType: 'application/json' } });
        created = true;
      } catch (e) {
        // 409 (leased) or 412 (exists): another worker created it meanwhile, which is what we need.
        if (statusOf(e) !== 409 && statusOf(e) !== 412) throw e;
      }
      leased = await lease();
    }
    if (!leased) return null;
    try {
      const doc = await readBlobText(blob);
      const state = doc ? readServerState(name, doc.text) : newServerState(serverPath);
      const notices: StateNotice[] = [];
      const sessions = await this.readSessionSnapshot(state, notices);
      if (created) await this.noticeLostDocument(serverPath, name, notices);
      return new ServerLease(name, state, sessions, leaseClient, this, this.options.renewEveryMs, notices);
    } catch (err) {
      await leaseClient.releaseLease().catch(() => undefined);
      throw err;
    }
  }

  /**
   * What is wrong with a server's session snapshot, as `status` reports it (the run would stop on
   * `error`, and continue without the sessions on `missing`); null when it reads.
   */
  async sessionSnapshotProblem(state: ServerState): Promise<{ kind: 'error' | 'missing'; message: string } | null> {
    if (!state.sessions) return null;
    const notices: StateNotice[] = [];
    try {
      await this.readSessionSnapshot(state, notices);
    } catch (err) {
      if (!(err instanceof StateDocumentError)) throw err;
      return { kind: 'error', message: err.describe() };
    }
    return notices[0] ? { kind: 'missing', message: notices[0].message } : null;
  }

  private async readSessionSnapshot(state: ServerState, notices: StateNotice[]): Promise<readonly SavedSession[] | null> {
    if (!state.sessions) return null;
    const doc = await readBlobText(this.container.getBlobClient(state.sessions.blob));
    if (doc) return readSessions(state.sessions.blob, doc.text).sessions;
    notices.push({
      code: 'SessionSnapshotMissing',
      message: `the session snapshot ${state.sessions.blob} named by ${StateStore.serverDocName(state.serverPath)} is missing; continuing without it (sessions open at the last checkpoint lose their attribution)`,
    });
    return null;
  }

  /** A new server document where markers or snapshots show the server was shipped before. */
  private async noticeLostDocument(serverPath: string, name: string, notices: StateNotice[]): Promise<void> {
    const evidence: string[] = [];
    for (const prefix of [`markers/${serverPath}`, `sessions/${StateStore.serverStem(serverPath)}/`]) {
      for await (const item of this.container.listBlobsFlat({ prefix })) {
        evidence.push(item.name);
        break;
      }
    }
    if (evidence.length === 0) return;
    notices.push({
      code: 'StateDocumentMissing',
      message: `${name} did not exist, yet ${evidence.join(' and ')} show this server was shipped before: blobs without a checkpoint are re-read from offset 0 (the duplicates carry the same RecordId and PgAudit() removes them)`,
    });
  }

  /**
   * Writes a server document under a lease (ServerLease.save calls this), with its planning
   * summary as metadata in the same upload (server-metadata.ts).
   */
  async writeServer(name: string, state: ServerState, leaseId: string): Promise<void> {
    const body = JSON.stringify(state);
    await this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), { conditions: { leaseId }, metadata: serverMetadata(state), blobHTTPHeaders: { blobContentType: 'application/json' } });
  }

  async writeJson(name: string, value: unknown, metadata?: Record<string, string>): Promise<void> {
    await this.writeText(name, JSON.stringify(value), metadata);
  }

  /** Writes a JSON document serialised beforehand. */
  async writeText(name: string, body: string, metadata?: Record<string, string>): Promise<void> {
    await this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), { metadata, blobHTTPHeaders: { blobContentType: 'application/json' } });
  }

  async deleteBlob(name: string): Promise<void> {
    await this.container.getBlobClient(name).deleteIfExists();
  }

  /** The marker of a diagnostic blob, or null. */
  async readMarker(blobName: string): Promise<BlobMarker | null> {
    const name = StateStore.markerName(blobName);
    const doc = await readBlobText(this.container.getBlobClient(name));
    return doc ? readMarker(name, doc.text) : null;
  }

  async writeMarker(marker: BlobMarker): Promise<void> {
    await this.writeJson(StateStore.markerName(marker.blob), marker, {
      state: marker.state,
      offset: String(marker.offset),
      createdon: marker.createdOn ?? '',
    });
  }

  /**
   * Markers under a blob-name prefix: from their metadata (one listing), reading a marker only
   * when its metadata is incomplete.
   */
  async *listMarkers(prefix = ''): AsyncGenerator<ListedMarker> {
    for await (const item of this.container.listBlobsFlat({ prefix: `markers/${prefix}`, includeMetadata: true })) {
      const blob = item.name.slice('markers/'.length, -'.json'.length);
      const m = item.metadata ?? {};
      const offset = Number(m.offset);
      if ((m.state === 'tracking' || m.state === 'done' || m.state === 'deleted') && m.offset && Number.isSafeInteger(offset)) {
        yield { blob, state: m.state, offset, createdOn: m.createdon || null };
        continue;
      }
      const marker = await this.readMarker(blob);
      if (marker) yield { blob, state: marker.state, offset: marker.offset, createdOn: marker.createdOn };
    }
  }
}
