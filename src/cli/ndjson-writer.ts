// Writes rows as NDJSON with backpressure, in large writes (one per batch) for speed.
import type { Writable } from 'node:stream';
import type { PgAuditRow } from '../schema.js';

export class NdjsonWriter {
  private closed = false;

  constructor(private readonly out: Writable) {
    // A reader that goes away (`| head`) is not an error worth a stack trace.
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.closed = true;
    });
  }

  /** False once the reader has gone away (stop producing). */
  get open(): boolean {
    return !this.closed;
  }

  async write(rows: readonly PgAuditRow[]): Promise<void> {
    if (rows.length === 0 || this.closed) return;
    if (!this.out.write(encodeNdjson(rows))) await this.drain();
  }

  async end(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      if (this.out === process.stdout) resolve();
      else this.out.end(resolve);
    });
  }

  private drain(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.out.off('drain', done);
        this.out.off('close', done);
        this.out.off('error', done);
        resolve();
      };
      this.out.once('drain', done);
      this.out.once('close', done);
      this.out.once('error', done);
    });
  }
}

const NEWLINE = 0x0a;

/** Reused between batches; grows to the largest batch. */
let scratch = Buffer.alloc(0);

/**
 * Rows → one UTF-8 buffer, a JSON object per line. Each row's JSON (a flat string) is encoded
 * straight into a scratch buffer, then copied out at its exact size: concatenating the batch
 * first builds a rope that must be flattened (to two-byte chars if one row has a non-ASCII
 * char) before encoding, which took 5x longer; a fresh worst-case (3 bytes per char) buffer per
 * batch would hold 3x the memory until collected.
 */
export function encodeNdjson(rows: readonly PgAuditRow[]): Buffer {
  const texts = rows.map((row) => JSON.stringify(row));
  let units = 0;
  for (const t of texts) units += t.length + 1;
  // A UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair: 2 units, 4 bytes).
  if (scratch.length < units * 3) scratch = Buffer.allocUnsafe(units * 3);
  let at = 0;
  for (const t of texts) {
    at += scratch.write(t, at, 'utf8');
    scratch[at++] = NEWLINE;
  }
  return Buffer.from(scratch.subarray(0, at));
}
