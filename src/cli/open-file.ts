// Local input as a byte stream; gzip input (a file, or stdin) is recognised by its magic bytes
// (1f 8b), whatever its name, and gunzipped. Errors of the source (unreadable, vanished) reach
// the reader through the gunzip stream too.
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * Read size: one chunk's rows are one output batch and live until it is written. At 1 MiB they
 * often outlived a young-generation collection and were copied and promoted (scavenges took
 * twice as long); smaller chunks cost more round trips (docs/performance.md).
 */
const READ_CHUNK_BYTES = 256 * 1024;

const isGzip = (head: Uint8Array): boolean => head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;

function gunzipped(source: Readable): Readable {
  // Same chunk size out of gunzip (its default is 16 KiB): a chunk is a decode worker batch.
  return pipeline(source, createGunzip({ chunkSize: READ_CHUNK_BYTES }), () => {
    // errors surface on the returned stream; nothing more to do here
  });
}

export function openFile(path: string): Readable {
  const head = Buffer.alloc(2);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, head, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  return isGzip(head.subarray(0, read)) ? gunzipped(stream) : stream;
}

/** A stream (stdin) whose first bytes decide whether it is gunzipped. */
export function openStream(source: Readable): Readable {
  return Readable.from(sniffed(source));
}

async function* sniffed(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const chunks = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < 2) {
    const r = await chunks.next();
    if (r.done) break;
    head = Buffer.concat([head, r.value]);
  }
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (let r = await chunks.next(); !r.done; r = await chunks.next()) yield r.value;
  }
  if (!isGzip(head)) {
    yield* all();
    return;
  }
  for await (const chunk of gunzipped(Readable.from(all()))) yield chunk as Buffer;
}
