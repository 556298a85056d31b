// Reads a (small) state blob as text with its ETag; null when it does not exist.
import type { BlobClient } from '@azure/storage-blob';

export async function readBlobText(blob: BlobClient): Promise<{ text: string; etag: string | undefined } | null> {
  try {
    const res = await blob.download();
    const chunks: Buffer[] = [];
    for await (const chunk of res.readableStreamBody ?? []) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    return { text: Buffer.concat(chunks).toString('utf8'), etag: res.etag };
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
}

/** The HTTP status of a storage/REST error, if it has one. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}
