// Progress on stderr for long runs: at most one line every two seconds.
import type { Writable } from 'node:stream';

const MB = 1024 * 1024;

export class ProgressReporter {
  private readonly started = performance.now();
  private lastPrinted = this.started;
  private printed = false;

  constructor(
    private readonly err: Writable,
    private readonly enabled: boolean,
    private readonly totalBytes: number,
    private readonly intervalMs = 2000,
  ) {}

  update(bytes: number, current: string): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (now - this.lastPrinted < this.intervalMs) return;
    this.lastPrinted = now;
    this.printed = true;
    const rate = bytes / MB / ((now - this.started) / 1000);
    const of = this.totalBytes > 0 ? ` of ${(this.totalBytes / MB).toFixed(0)} MB (${((100 * bytes) / this.totalBytes).toFixed(0)}%)` : '';
    this.err.write(`pgaudit-ingest: ${(bytes / MB).toFixed(0)} MB${of}, ${rate.toFixed(0)} MB/s, reading ${current}\n`);
  }

  done(): void {
    if (this.printed) this.err.write('pgaudit-ingest: done\n');
  }
}
