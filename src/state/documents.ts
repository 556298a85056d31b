// Every persisted document, validated with zod on read, with a checked `version`
// (docs/design.md "State layout"). A document this release cannot read is a StateDocumentError
// naming the blob and the problem, never a silent reset.
import { z } from 'zod';
import { initialTracking, type NameTracking } from '../enrich/application-name.js';
import { nameSessionFields } from '../enrich/application-name-schema.js';
import type { SavedSession } from '../enrich/sessions.js';
import { StateDocumentError } from '../errors/state-document-error.js';

const count = z.number().int().min(0);
const time = z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'must be an ISO time');
const text = z.string().nullable();

const blobCheckpoint = z.object({
  /** Next byte to read. */
  offset: count,
  /** Blob length when last read. */
  length: count,
  /** Creation time of the blob: a different one means the blob was replaced. */
  createdOn: text,
  rows: count,
  deadLettered: count,
  updatedAt: time,
  /**
   * The blob's length when it was first read after its hour ended (or what was shipped before,
   * when it had grown after the hour by then): bytes beyond it are late appends. Absent in
   * checkpoints written before late appends were counted.
   */
  settledLength: count.nullable().optional(),
});
export type BlobCheckpoint = z.infer<typeof blobCheckpoint>;

export const SERVER_STATE_VERSION = 2;
const sessionsPointer = z.object({ blob: z.string().min(1), generation: count, count });
const serverStateV2 = z.object({
  version: z.literal(SERVER_STATE_VERSION),
  serverPath: z.string().min(1),
  /** Checkpoints of the server's open blobs (offsets only: planning reads nothing else). */
  blobs: z.record(z.string(), blobCheckpoint),
  /** Where the session snapshot of these offsets is (a separate blob: it can be large). */
  sessions: sessionsPointer.nullable(),
  createdAt: time,
  updatedAt: time.nullable(),
});
export type ServerState = z.infer<typeof serverStateV2>;

const loggedStatement = z.object({
  statementId: count,
  statement: z.string(),
  parameter: z.string(),
  parameters: z.array(z.string().nullable()).nullable(),
  redacted: z.boolean(),
});
const sessionFields = {
  userName: text,
  databaseName: text,
  applicationName: text,
  clientHost: text,
  clientPort: z.number().int().nullable(),
  sawStart: z.boolean(),
  lastStatementId: count.nullable(),
  lastLogged: loggedStatement.nullable(),
};
// Sessions follow application_name (application-name.ts); snapshots written before that lack
// its two fields, which then start from the session's name.
const followedName = {
  connectApplicationName: nameSessionFields.connectApplicationName.optional(),
  names: nameSessionFields.names.optional(),
};
function withFollowedName<S extends { applicationName: string | null; connectApplicationName?: string | null | undefined; names?: NameTracking | undefined }>(s: S): S & { connectApplicationName: string | null; names: NameTracking } {
  return { ...s, connectApplicationName: s.connectApplicationName ?? null, names: s.names ?? initialTracking(s.applicationName) };
}
const savedSession = z.object({ server: z.string(), sessionId: text, processId: z.number().int().nullable(), ...sessionFields, ...followedName }).transform(withFollowedName);

export const SESSIONS_VERSION = 2;
const sessionsV2 = z.object({ version: z.literal(SESSIONS_VERSION), serverPath: z.string(), generation: count, sessions: z.array(savedSession) });
export interface SessionsDocument {
  readonly version: typeof SESSIONS_VERSION;
  readonly serverPath: string;
  readonly generation: number;
  readonly sessions: readonly SavedSession[];
}

export const MARKER_VERSION = 2;
const blobMarker = z.object({
  version: z.literal(MARKER_VERSION),
  blob: z.string().min(1),
  /**
   * tracking: a checkpoint exists in the server document; done: the blob left the lookback;
   * deleted: the blob disappeared while it was tracked (version 2).
   */
  state: z.enum(['tracking', 'done', 'deleted']),
  ...blobCheckpoint.shape,
});
export type BlobMarker = z.infer<typeof blobMarker>;

/** The checkpoint a marker records (its offsets and counts, without the marker's own fields). */
export function checkpointOfMarker(m: BlobMarker): BlobCheckpoint {
  return blobCheckpoint.parse(m);
}

export const DEAD_LETTER_VERSION = 1;
const deadLetterHeader = z.object({
  pgauditDeadLetter: z.literal(DEAD_LETTER_VERSION),
  reason: z.string(),
  status: z.number().int().nullable(),
  body: text,
  sourceBlob: z.string(),
  /** Byte range of the source lines the dead-lettered rows came from. */
  range: z.object({ start: count, end: count }),
  rows: count,
  createdAt: time,
});
export type DeadLetterHeader = z.infer<typeof deadLetterHeader>;

const HINT_SERVER =
  'fix or delete that blob; deleting it makes the server\'s open blobs re-ship from offset 0 (the duplicates carry the same RecordId and PgAudit() removes them); the other servers keep shipping';
const HINT_NEWER = 'it was written by a newer pgaudit-ingest: run that release (or a newer one) against this state container';

function jsonOf(blob: string, source: string, hint: string): unknown {
  try {
    return JSON.parse(source);
  } catch (err) {
    throw new StateDocumentError(blob, `is not valid JSON (${(err as Error).message})`, { hint, cause: err });
  }
}

function invalid(blob: string, error: z.ZodError, hint: string): StateDocumentError {
  const issues = error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join('.') : '(document)'} ${i.message}`).join('; ');
  return new StateDocumentError(blob, `does not have the expected shape: ${issues}`, { hint, cause: error });
}

/** Rejects a version this release does not know before the shape is checked. */
function checkVersion(blob: string, value: unknown, field: string, known: readonly number[], hint: string): void {
  const v = (value as Record<string, unknown> | null)?.[field];
  if (typeof v === 'number' && v > Math.max(...known)) {
    throw new StateDocumentError(blob, `has ${field} ${v}; this release reads ${known.join(' and ')}`, { hint: HINT_NEWER, code: 'StateDocumentTooNew' });
  }
  if (typeof v !== 'number' || !known.includes(v)) throw new StateDocumentError(blob, `has no known ${field} (got ${JSON.stringify(v)})`, { hint });
}

/** A server document. */
export function readServerState(blob: string, source: string): ServerState {
  const value = jsonOf(blob, source, HINT_SERVER);
  checkVersion(blob, value, 'version', [SERVER_STATE_VERSION], HINT_SERVER);
  const r = serverStateV2.safeParse(value);
  if (!r.success) throw invalid(blob, r.error, HINT_SERVER);
  return r.data;
}

export function readSessions(blob: string, source: string): SessionsDocument {
  const hint = `delete ${blob} to continue without it (sessions open at the last checkpoint lose their user, database and application attribution)`;
  const value = jsonOf(blob, source, hint);
  checkVersion(blob, value, 'version', [SESSIONS_VERSION], hint);
  const r = sessionsV2.safeParse(value);
  if (!r.success) throw invalid(blob, r.error, hint);
  return r.data;
}

/** A blob marker. */
export function readMarker(blob: string, source: string): BlobMarker {
  const hint = `delete ${blob}: the blob it describes is then treated as never shipped and re-read from offset 0 (duplicates carry the same RecordId)`;
  const value = jsonOf(blob, source, hint);
  checkVersion(blob, value, 'version', [1, MARKER_VERSION], hint);
  // Version 1 is version 2 without the `deleted` state.
  const r = blobMarker.safeParse({ ...(value as object), version: MARKER_VERSION });
  if (!r.success) throw invalid(blob, r.error, hint);
  return r.data;
}

export function readDeadLetterHeader(blob: string, source: string): DeadLetterHeader {
  const hint = 'it is not a pgaudit-ingest dead-letter file (or it was edited): move it out of the dead-letter container';
  const value = jsonOf(blob, source, hint);
  checkVersion(blob, value, 'pgauditDeadLetter', [DEAD_LETTER_VERSION], hint);
  const r = deadLetterHeader.safeParse(value);
  if (!r.success) throw invalid(blob, r.error, hint);
  return r.data;
}
