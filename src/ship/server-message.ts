// The queue message that hands one server to a worker (docs/design.md "Scale-out"): which server,
// and for a blobCreated event the blob it named. Validated on read like every stored document.
import { z } from 'zod';

export const SERVER_MESSAGE_VERSION = 1;

const serverMessage = z.object({
  version: z.literal(SERVER_MESSAGE_VERSION),
  serverPath: z.string().min(1),
  /** Blobs named by an event (their lengths are read when shipped); absent: plan by listing. */
  blobs: z.array(z.string().min(1)).optional(),
  reason: z.enum(['sweep', 'blobCreated', 'deferred']),
  enqueuedAt: z.string(),
});
export type ServerMessage = z.infer<typeof serverMessage>;

export type MessageResult = { readonly ok: true; readonly message: ServerMessage } | { readonly ok: false; readonly reason: string };

/** The message as the queue trigger hands it over (parsed JSON, or text). */
export function readServerMessage(value: unknown): MessageResult {
  let data = value;
  if (typeof value === 'string') {
    try {
      data = JSON.parse(value);
    } catch {
      return { ok: false, reason: 'the message is not JSON' };
    }
  }
  const r = serverMessage.safeParse(data);
  if (!r.success) return { ok: false, reason: `not a pgaudit-ingest server message: ${r.error.issues.slice(0, 2).map((i) => `${i.path.join('.') || '(message)'} ${i.message}`).join('; ')}` };
  return { ok: true, message: r.data };
}

export function serverMessageText(m: Omit<ServerMessage, 'version' | 'enqueuedAt'>, now = new Date()): string {
  return JSON.stringify({ version: SERVER_MESSAGE_VERSION, ...m, enqueuedAt: now.toISOString() } satisfies ServerMessage);
}
