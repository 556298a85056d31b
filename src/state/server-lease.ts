// Ownership of one server's state while a run ships it: the lease on servers/<id>.json is renewed
// in the background until released. save() writes the session snapshot to a fresh blob first and
// then the server document that points at it, so the offsets and the sessions they belong to
// switch together in the one write that the lease guards; the previous snapshot is then deleted.
import { randomUUID } from 'node:crypto';
import type { BlobLeaseClient } from '@azure/storage-blob';
import type { SavedSession, SessionsText } from '../enrich/sessions.js';
import { SESSIONS_VERSION, type ServerState, type SessionsDocument } from './documents.js';
import { LeaseLostError } from '../errors/lease-lost-error.js';
import { statusOf } from './read-text.js';
import type { StateStore } from './state-store.js';

/** Something about the saved state a person should know (logged, and a run record). */
export interface StateNotice {
  readonly code: 'StateDocumentMissing' | 'SessionSnapshotMissing' | 'CheckpointLost' | 'BlobDeleted';
  readonly message: string;
}

export class ServerLease {
  private lost: unknown = null;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly docName: string,
    readonly state: ServerState,
    /** The session snapshot of the saved offsets (null: none saved yet). */
    readonly sessions: readonly SavedSession[] | null,
    private readonly lease: BlobLeaseClient,
    private readonly store: StateStore,
    renewEveryMs: number,
    /** What reading the state found worth announcing. */
    readonly notices: StateNotice[],
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

  /** Saves the offsets in `state` together with this session snapshot (as objects, or as JSON text). */
  async save(sessions: readonly SavedSession[] | SessionsText): Promise<void> {
    this.assertOwned();
    const previous = this.state.sessions;
    const generation = (previous?.generation ?? 0) + 1;
    // A unique name: a worker that lost the lease can never overwrite the new owner's snapshot.
    const blob = `sessions/${this.docName.slice('servers/'.length, -'.json'.length)}/${String(generation).padStart(10, '0')}-${randomUUID()}.json`;
    const head = { version: SESSIONS_VERSION, serverPath: this.state.serverPath, generation } as const;
    if ('json' in sessions) {
      // The sessions document with its array as given: the same text JSON.stringify(doc) makes.
      await this.store.writeText(blob, `${JSON.stringify(head).slice(0, -1)},"sessions":${sessions.json}}`);
    } else {
      const doc: SessionsDocument = { ...head, sessions: [...sessions] };
      await this.store.writeJson(blob, doc);
    }
    this.state.sessions = { blob, generation, count: 'json' in sessions ? sessions.count : sessions.length };
    this.state.updatedAt = new Date().toISOString();
    try {
      await this.store.writeServer(this.docName, this.state, this.lease.leaseId);
    } catch (err) {
      this.state.sessions = previous;
      await this.store.deleteBlob(blob).catch(() => undefined);
      if (statusOf(err) === 412 || statusOf(err) === 409) throw new LeaseLostError(this.docName, { cause: err });
      throw err;
    }
    if (previous) await this.store.deleteBlob(previous.blob).catch(() => undefined); // a leftover costs storage only
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
