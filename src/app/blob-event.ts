// The blob an Event Grid `Microsoft.Storage.BlobCreated` event names. The subject is
// `/blobServices/default/containers/<container>/blobs/<blob name>` (Event Grid schema for Blob
// storage); events of other containers or types are not ours (the subscription filters them, but
// a handler must not trust that).
export type BlobEventResult = { readonly ok: true; readonly blob: string } | { readonly ok: false; readonly reason: string };

const SUBJECT = /^\/blobServices\/default\/containers\/([^/]+)\/blobs\/(.+)$/;

export function blobNameOfEvent(event: unknown, container: string): BlobEventResult {
  const e = event as { eventType?: unknown; subject?: unknown } | null;
  if (typeof e?.eventType !== 'string' || e.eventType !== 'Microsoft.Storage.BlobCreated') return { ok: false, reason: `event type ${JSON.stringify(e?.eventType)} is not Microsoft.Storage.BlobCreated` };
  const m = typeof e.subject === 'string' ? SUBJECT.exec(e.subject) : null;
  if (!m) return { ok: false, reason: `subject ${JSON.stringify(e.subject)} does not name a blob` };
  if (m[1] !== container) return { ok: false, reason: `blob of container ${m[1]}, not ${container} (PGAUDIT_LOGS_CONTAINER)` };
  if (!m[2]!.endsWith('.json')) return { ok: false, reason: `${m[2]} is not a diagnostic blob (*.json)` };
  return { ok: true, blob: m[2]! };
}
