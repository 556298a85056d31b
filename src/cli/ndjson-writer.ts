// Writes rows as NDJSON with backpressure, in large writes (one per batch) for speed. A reader
// that goes away (`| head`, EPIPE) ends the output quietly; any other stream error (a full disk,
// a closed descriptor) is an OutputError on the next write or at the end, never swallowed.
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { OutputError } from '../errors/output-error.js';
import type { PgAuditRow } from '../schema.js';

export class NdjsonWriter {
  private closed = false;
  private failure: NodeJS.ErrnoException | null = null;

  constructor(
    private readonly out: Writable,
    private readonly name = 'stdout',
  ) {
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.closed = true;
      else this.failure ??= err;
    });
  }

  /** False once the reader has gone away (stop producing). */
  get open(): boolean {
    this.throwIfFailed();
    return !this.closed;
  }

  /** `onRowBytes`: told each row's UTF-8 JSON size as it is encoded (the cost estimate). */
  async write(rows: readonly PgAuditRow[], onRowBytes?: (row: PgAuditRow, bytes: number) => void): Promise<void> {
    this.throwIfFailed();
    if (rows.length === 0 || this.closed) return;
    if (!this.out.write(encodeNdjson(rows, onRowBytes))) await this.drain();
    this.throwIfFailed();
  }

  async end(): Promise<void> {
    this.throwIfFailed();
    if (this.closed) return;
    if (this.out !== process.stdout) {
      this.out.end();
      // Resolves once everything is written; a write error (a full disk) may only show now.
      await finished(this.out).catch((err: NodeJS.ErrnoException) => void (err.code === 'EPIPE' || (this.failure ??= err)));
    }
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw new OutputError(this.name, this.failure.message, { cause: this.failure, hint: 'check the path, its permissions and the free space' });
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
 * char) before encoding, which was several times slower; a fresh worst-case (3 bytes per char)
 * buffer per batch would hold 3x the memory until collected.
 */
export function encodeNdjson(rows: readonly PgAuditRow[], onRowBytes?: (row: PgAuditRow, bytes: number) => void): Buffer {
  const texts = rows.map((row) => JSON.stringify(row));
  let units = 0;
  for (const t of texts) units += t.length + 1;
  // A UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair: 2 units, 4 bytes).
  if (scratch.length < units * 3) scratch = Buffer.allocUnsafe(units * 3);
  let at = 0;
  for (let i = 0; i < texts.length; i++) {
    const bytes = scratch.write(texts[i]!, at, 'utf8');
    onRowBytes?.(rows[i]!, bytes);
    at += bytes;
    scratch[at++] = NEWLINE;
  }
  return Buffer.from(scratch.subarray(0, at));
}
