// A local input file as a byte stream; `.gz` files are gunzipped. Errors of the file stream
// (unreadable, vanished) reach the reader through the gunzip stream too.
import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export function openFile(path: string): Readable {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!path.endsWith('.gz')) return stream;
  return pipeline(stream, createGunzip(), () => {
    // errors surface on the returned stream; nothing more to do here
  });
}
