// The queue consumer's two decisions that are not shipping (docs/deploy.md "Scale-out"):
//
// A busy server (another worker holds its lease) is put back as a new message, invisible for one
// lease duration, and the current message completes. Not a failure: the holder is shipping the
// server right now, so failing the message would only burn its dequeue count towards the poison
// queue (three busy turns would poison a healthy server) and log an error for normal overlap
// (a sweep message and a blobCreated message for the same server, or a CLI `ship` running). Not
// dropped either: a blobCreated message names a blob the holder's plan may not contain. After one
// lease duration the holder has finished, or crashed and its lease has expired, or is still at
// work (then the message is deferred again, one message replacing one).
//
// A message on its last attempt (the trigger's dequeueCount reached host.json's maxDequeueCount)
// that fails goes to `<queue>-poison` when this invocation throws: that is reported first, as an
// error run record (PgAuditIngest_CL) and an error in the Functions log, so it is visible where
// the other failures are. `pgaudit-ingest status` counts the poison queue.
import type { InvocationContext } from '@azure/functions';
import { runErrorOf } from '../errors/run-error.js';
import { parseBlobPath } from '../read/blob-path.js';
import { LEASE_SECONDS } from '../state/state-store.js';
import { errorRecord, newRunInfo, sendRunRecords } from '../ship/run-records.js';
import type { ServerMessage } from '../ship/server-message.js';
import { POISON_SUFFIX, type ServerQueue } from '../ship/server-queue.js';
import type { Runtime } from './function-runtime.js';

/** The server path of a diagnostic blob name. */
export function serverOfMessage(blob: string): string {
  return parseBlobPath(blob).serverPath;
}

/** The delay of a deferred message: a crashed holder's lease has expired by then. */
export const DEFER_SECONDS = LEASE_SECONDS;

/** The host's dequeue count of this message (1 on the first attempt), when the trigger gave it. */
export function dequeueCountOf(ctx: Pick<InvocationContext, 'triggerMetadata'>): number | null {
  const n = Number(ctx.triggerMetadata?.dequeueCount);
  return Number.isInteger(n) && n > 0 ? n : null;
}

export async function deferBusyServer(queue: ServerQueue, m: ServerMessage, ctx: Pick<InvocationContext, 'log'>, delaySeconds = DEFER_SECONDS): Promise<void> {
  await queue.send({ serverPath: m.serverPath, ...(m.blobs ? { blobs: m.blobs } : {}), reason: 'deferred' }, delaySeconds);
  ctx.log(JSON.stringify({ event: 'pgaudit-ingest.deferred', trigger: 'queue', server: m.serverPath, delaySeconds, reason: 'another worker holds the server lease' }));
}

export async function reportPoison(rt: Runtime, m: ServerMessage, attempt: number, err: unknown, ctx: Pick<InvocationContext, 'error'>): Promise<void> {
  const cause = runErrorOf(m.serverPath, err);
  const poison = `${rt.queue.queue.name}${POISON_SUFFIX}`;
  const e = {
    server: m.serverPath,
    code: 'QueueMessagePoisoned',
    message: `the message for ${m.serverPath} (${m.reason}) failed on attempt ${attempt} of ${rt.host.maxDequeueCount} and goes to queue ${poison}; last error ${cause.code}: ${cause.message}`,
    hint: 'fix what the error records of this server say; the next sweep plans the server again, so the poison message can then be deleted',
  };
  ctx.error(JSON.stringify({ event: 'pgaudit-ingest.poison', trigger: 'queue', ...e, attempt, maxDequeueCount: rt.host.maxDequeueCount }));
  await recordError(rt, e, ctx);
}

/** A message that can never be shipped (unreadable, or naming another server's blobs): completed, and recorded. */
export async function rejectMessage(rt: Runtime, server: string | null, reason: string, ctx: Pick<InvocationContext, 'error'>): Promise<void> {
  const e = { server, code: 'QueueMessageInvalid', message: `shipServer: dropped a message: ${reason}`, hint: 'retrying cannot make it readable; a sweep plans every server with work again' };
  ctx.error(JSON.stringify({ event: 'pgaudit-ingest.error', trigger: 'queue', ...e }));
  await recordError(rt, e, ctx);
}

/** One error run record; if it cannot be sent, the log has it with its fields. */
export async function recordError(rt: Runtime, e: { server: string | null; code: string; message: string; hint: string }, ctx: Pick<InvocationContext, 'error'>): Promise<void> {
  const lines: string[] = [];
  await sendRunRecords([errorRecord(newRunInfo('queue'), new Date().toISOString(), e)], rt.context.runSink, (l) => lines.push(l));
  for (const l of lines) ctx.error(l);
}
