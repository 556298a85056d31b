// A local input file as a byte stream; `.gz` files are gunzipped. Errors of the file stream
// (unreadable, vanished) reach the reader through the gunzip stream too.
import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Read size: one chunk's rows are one output batch and live until it is written. At 1 MiB they
 * often outlived a young-generation collection and were copied and promoted (scavenges took
 * twice as long); smaller chunks cost more round trips (npm run bench).
 */
const READ_CHUNK_BYTES = 256 * 1024;

export function openFile(path: string): Readable {
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  if (!path.endsWith('.gz')) return stream;
  // Same chunk size out of gunzip (its default is 16 KiB): a chunk is a decode worker batch.
  return pipeline(stream, createGunzip({ chunkSize: READ_CHUNK_BYTES }), () => {
    // errors surface on the returned stream; nothing more to do here
  });
}
