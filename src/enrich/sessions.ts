// Per-session state: who is connected (for attribution when the prefix lacks %u/%d/%a/%h), the
// last logged pgAudit statement (to resolve <previously logged>) and the last statement id (to
// detect gaps). Sessions outlive hourly blobs, so the table is serialisable and is carried from
// one blob to the next. It is bounded: disconnected sessions are removed and the least recently
// used ones are evicted past maxSessions.
import { initialTracking, type NameTracking } from './application-name.js';

/** A statement as it left the pipeline (already redacted), kept for <previously logged>. */
export interface LoggedStatement {
  readonly statementId: number;
  readonly statement: string;
  readonly parameter: string;
  readonly parameters: readonly (string | null)[] | null;
  readonly redacted: boolean;
}

export interface Session {
  userName: string | null;
  databaseName: string | null;
  /** The name the session's rows carry: the connection's, then as its audited rows changed it (application-name.ts). */
  applicationName: string | null;
  /** application_name of the connection authorized line. */
  connectApplicationName: string | null;
  /** What the audited rows showed of SET LOCAL, transaction blocks and multi-statement strings (immutable). */
  names: NameTracking;
  clientHost: string | null;
  clientPort: number | null;
  /** True when this session's start (connection received/authorized) was seen. */
  sawStart: boolean;
  lastStatementId: number | null;
  lastLogged: LoggedStatement | null;
}

export const DEFAULT_MAX_SESSIONS = 100_000;
export const DEFAULT_MAX_RETAINED_CHARS = 16 * 1024 * 1024;

function retainedSize(logged: LoggedStatement | null): number {
  return logged ? logged.statement.length + logged.parameter.length : 0;
}

export interface SessionKey {
  readonly server: string;
  readonly sessionId: string | null;
  readonly processId: number | null;
}

/** One session as saved between blobs and invocations (docs/design.md "State layout"). */
export interface SavedSession extends Session {
  readonly server: string;
  /** %c of the session, when its lines carried one. */
  readonly sessionId: string | null;
  /** The session's process id, while no later session of the same process replaced it. */
  readonly processId: number | null;
}

/** Serialised form: the sessions, least recently used first. */
export type SessionTableSnapshot = readonly SavedSession[];

/** A snapshot as JSON text (an array of SavedSession), and how many sessions it holds. */
export interface SessionsText {
  readonly json: string;
  readonly count: number;
}

/** The parts of a session's keys (kept so the snapshot can name them). */
interface KeyParts {
  readonly server: string;
  readonly sessionId: string | null;
  processId: number | null;
}

function newSession(): Session {
  return {
    userName: null,
    databaseName: null,
    applicationName: null,
    connectApplicationName: null,
    names: initialTracking(null),
    clientHost: null,
    clientPort: null,
    sawStart: false,
    lastStatementId: null,
    lastLogged: null,
  };
}

/**
 * Sessions are found by %c session id when the line has one, else by process id (the latest
 * session of that process). Both keys point at the same object so a line whose prefix did not
 * match still finds its session through properties.processId.
 */
export class SessionTable {
  private readonly bySession = new Map<string, Session>();
  private readonly byPid = new Map<string, Session>();
  /** Recency order of sessions, for eviction, with the keys that find each. */
  private readonly order = new Map<Session, KeyParts>();
  /** Characters held in lastLogged statements (bounded by maxRetainedChars). */
  private retainedChars = 0;
  /**
   * Each session's JSON as the last snapshotText() wrote it, dropped whenever the session may
   * change (it is found, its keys or statement change, it ends): a checkpoint then serialises
   * only the sessions its lines touched, not every open one.
   */
  private readonly saved = new Map<Session, string>();

  constructor(
    private readonly maxSessions = DEFAULT_MAX_SESSIONS,
    private readonly maxRetainedChars = DEFAULT_MAX_RETAINED_CHARS,
  ) {}

  get size(): number {
    return this.order.size;
  }

  /** The session of a line, or null when the line carries neither a session id nor a pid. */
  find(key: SessionKey): Session | null {
    const found = this.lookup(key);
    if (found) this.touch(found);
    return found ?? null;
  }

  /** Finds or creates the session of a line (null without any key). */
  upsert(key: SessionKey): Session | null {
    const found = this.find(key);
    if (found) return found;
    return this.create(key);
  }

  /** A new session starts (connection received): replaces whatever the keys pointed at. */
  start(key: SessionKey): Session | null {
    const old = this.lookup(key);
    if (old) this.remove(old);
    const s = this.create(key);
    if (s) s.sawStart = true;
    return s;
  }

  /** The session ended (disconnection): forget it. */
  end(key: SessionKey): void {
    const s = this.lookup(key);
    if (s) this.remove(s);
  }

  /**
   * Keeps the last logged statement of a session for <previously logged>. Past the character
   * budget, the least recently used sessions forget theirs (their later <previously logged>
   * entries then stay as logged).
   */
  remember(s: Session, logged: LoggedStatement | null): void {
    this.retainedChars += retainedSize(logged) - retainedSize(s.lastLogged);
    s.lastLogged = logged;
    if (this.retainedChars <= this.maxRetainedChars) return;
    for (const old of this.order.keys()) {
      if (old === s || !old.lastLogged) continue;
      this.retainedChars -= retainedSize(old.lastLogged);
      old.lastLogged = null;
      this.saved.delete(old);
      if (this.retainedChars <= this.maxRetainedChars) return;
    }
  }

  snapshot(): SessionTableSnapshot {
    return [...this.order].map(([s, keys]) => savedSession(s, keys));
  }

  /** JSON.stringify(snapshot()), made from the JSON of the sessions that did not change since the last call. */
  snapshotText(): SessionsText {
    const parts: string[] = [];
    for (const [s, keys] of this.order) {
      let json = this.saved.get(s);
      if (json === undefined) {
        json = JSON.stringify(savedSession(s, keys));
        this.saved.set(s, json);
      }
      parts.push(json);
    }
    return { json: `[${parts.join(',')}]`, count: parts.length };
  }

  static fromSnapshot(snapshot: SessionTableSnapshot, maxSessions = DEFAULT_MAX_SESSIONS, maxRetainedChars = DEFAULT_MAX_RETAINED_CHARS): SessionTable {
    const table = new SessionTable(maxSessions, maxRetainedChars);
    for (const { server, sessionId, processId, ...saved } of snapshot) {
      // Snapshots of earlier releases get the application_name fields where they are read
      // (src/state/documents.ts).
      const s: Session = { ...saved, lastLogged: null };
      table.insert({ server, sessionId, processId }, s);
      table.remember(s, saved.lastLogged);
    }
    return table;
  }

  /**
   * By session id when the line has one (never by pid then: the pid may belong to an older
   * session), else by process id.
   */
  private lookup(key: SessionKey): Session | undefined {
    const sk = sessionKey(key);
    if (sk !== null) return this.bySession.get(sk);
    const pk = pidKey(key);
    return pk !== null ? this.byPid.get(pk) : undefined;
  }

  private create(key: SessionKey): Session | null {
    if (key.sessionId === null && key.processId === null) return null;
    const s = newSession();
    this.insert(key, s);
    return s;
  }

  private insert(key: SessionKey, s: Session): void {
    const sk = sessionKey(key);
    const pk = pidKey(key);
    if (sk !== null) this.bySession.set(sk, s);
    if (pk !== null) {
      const previous = this.byPid.get(pk);
      // A process runs one session at a time: its pid now means this session.
      if (previous && previous !== s) {
        const keys = this.order.get(previous);
        if (keys) keys.processId = null;
        this.saved.delete(previous);
      }
      this.byPid.set(pk, s);
    }
    this.order.set(s, { server: key.server, sessionId: key.sessionId, processId: key.processId });
    while (this.order.size > this.maxSessions) {
      const oldest = this.order.keys().next().value as Session;
      this.remove(oldest);
    }
  }

  private touch(s: Session): void {
    const keys = this.order.get(s);
    if (!keys) return;
    this.saved.delete(s); // found to be read or changed
    this.order.delete(s);
    this.order.set(s, keys);
  }

  private remove(s: Session): void {
    const keys = this.order.get(s);
    if (!keys) return;
    const sk = sessionKey(keys);
    const pk = pidKey(keys);
    if (sk !== null && this.bySession.get(sk) === s) this.bySession.delete(sk);
    if (pk !== null && this.byPid.get(pk) === s) this.byPid.delete(pk);
    this.retainedChars -= retainedSize(s.lastLogged);
    this.order.delete(s);
    this.saved.delete(s);
  }
}

function savedSession(s: Session, keys: KeyParts): SavedSession {
  return { ...s, server: keys.server, sessionId: keys.sessionId, processId: keys.processId };
}

function sessionKey(key: SessionKey): string | null {
  return key.sessionId !== null ? `${key.server}\u0001${key.sessionId}` : null;
}

function pidKey(key: SessionKey): string | null {
  return key.processId !== null ? `${key.server}\u0001${key.processId}` : null;
}
