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
    let text = '';
    for (const row of rows) text += JSON.stringify(row) + '\n';
    if (!this.out.write(text)) await this.drain();
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
