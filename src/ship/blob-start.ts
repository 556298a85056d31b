// Where a blob without a checkpoint in the server document starts: its marker says whether it was
// shipped before (done: from the done offset, if it grew since; tracking: the checkpoint was
// lost, which is announced before the blob is re-read from 0). A blob whose creation time differs
// from the one recorded was replaced: it starts at 0.
import type { BlobCheckpoint, BlobMarker } from '../state/documents.js';
import { checkpointOfMarker } from '../state/documents.js';
import type { ServerLease } from '../state/server-lease.js';
import { replaced } from './plan.js';

export function freshCheckpoint(): BlobCheckpoint {
  return { offset: 0, length: 0, createdOn: null, settledLength: null, rows: 0, deadLettered: 0, updatedAt: new Date().toISOString() };
}

export function startFromMarker(name: string, marker: BlobMarker | null, blob: { length: number; createdOn: string | null }, lease: ServerLease, log: (m: string) => void): BlobCheckpoint {
  if (!marker || marker.state === 'deleted') return freshCheckpoint();
  if (replaced(marker, blob)) {
    log(`${name} was replaced (created ${blob.createdOn}, ${blob.length} bytes; was ${marker.createdOn}, shipped to ${marker.offset}); reading it from the start`);
    return freshCheckpoint();
  }
  if (marker.state === 'done') return checkpointOfMarker(marker);
  const notice = {
    code: 'CheckpointLost',
    message: `the checkpoint of ${name} is missing from ${lease.docName} although its marker shows it was being shipped (offset ${marker.offset}); re-reading it from offset 0 (the duplicates carry the same RecordId and PgAudit() removes them)`,
  } as const;
  lease.notices.push(notice);
  log(notice.message);
  return freshCheckpoint();
}
