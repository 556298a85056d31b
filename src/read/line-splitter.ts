// Byte chunks → complete lines with their byte offsets. Pure and synchronous: the caller feeds
// chunks from a file, a blob range or a test. Memory stays bounded: at most one partial line is
// held, and a line longer than maxLineBytes is cut (its head is kept, the rest skipped) instead
// of growing without limit.

export interface Line {
  /** Line text without the line terminator (LF or CRLF), decoded as UTF-8. */
  readonly text: string;
  /** Byte offset of the first byte of the line in the source. */
  readonly offset: number;
  /** True when the line was longer than maxLineBytes and only its head is in `text`. */
  readonly truncated: boolean;
  /** True when the bytes were not valid UTF-8 (each invalid sequence became U+FFFD). */
  readonly invalidUtf8?: boolean;
  /** True for a last line without a terminator, taken only because the input is final. */
  readonly unterminated?: boolean;
}

const REPLACEMENT = '\uFFFD';

/** Whether decoding `bytes` replaced something (a literal U+FFFD in valid UTF-8 encodes back the same). */
function replacedInvalidBytes(text: string, bytes: Buffer): boolean {
  return text.includes(REPLACEMENT) && !Buffer.from(text, 'utf8').equals(bytes);
}

export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of the current line skipped after the cap (the line is still counted in offsets). */
  private skippedBytes = 0;
  /** Offset of the first byte not yet part of an emitted line. */
  private lineStart: number;

  constructor(
    startOffset = 0,
    private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {
    this.lineStart = startOffset;
  }

  /** Offset just past the last complete line: where a checkpoint may resume. */
  get consumedOffset(): number {
    return this.lineStart;
  }

  /** Bytes held (or skipped) for an incomplete last line. */
  get pendingLength(): number {
    return this.pendingBytes + this.skippedBytes;
  }

  /** Feeds a chunk and returns the lines it completed, in order. */
  push(chunk: Uint8Array): Line[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lines: Line[] = [];
    let pos = 0;
    for (;;) {
      const nl = buf.indexOf(LF, pos);
      if (nl < 0) {
        this.hold(buf.subarray(pos));
        return lines;
      }
      lines.push(this.complete(buf, pos, nl));
      pos = nl + 1;
    }
  }

  /**
   * Ends the input. A last line without a terminator is returned only when `final` is true
   * (a local file that is complete); a growing blob keeps it for the next read.
   */
  end(final: boolean): Line | null {
    if (!final || this.pendingLength === 0) return null;
    return { ...this.take(Buffer.alloc(0), 0, 0, 0), unterminated: true };
  }

  private complete(buf: Buffer, from: number, nl: number): Line {
    return this.take(buf, from, nl, nl + 1 - from);
  }

  /** Builds the line from held bytes + buf[from, to) and advances lineStart by consumed bytes. */
  private take(buf: Buffer, from: number, to: number, consumedFromBuf: number): Line {
    const offset = this.lineStart;
    const truncated = this.skippedBytes > 0 || this.pendingBytes + (to - from) > this.maxLineBytes;
    let bytes: Buffer;
    if (this.pendingBytes === 0) {
      bytes = buf.subarray(from, Math.min(to, from + this.maxLineBytes));
    } else {
      const room = Math.max(0, this.maxLineBytes - this.pendingBytes);
      this.pending.push(buf.subarray(from, from + Math.min(to - from, room)));
      bytes = Buffer.concat(this.pending);
    }
    let end = bytes.length;
    if (!truncated && end > 0 && bytes[end - 1] === CR) end--;
    const text = bytes.toString('utf8', 0, end);
    this.lineStart = offset + this.pendingBytes + this.skippedBytes + consumedFromBuf;
    this.pending = [];
    this.pendingBytes = 0;
    this.skippedBytes = 0;
    // A cut line's last character may be split by the cut itself: that is not invalid input.
    if (!truncated && replacedInvalidBytes(text, bytes.subarray(0, end))) return { text, offset, truncated, invalidUtf8: true };
    return { text, offset, truncated };
  }

  private hold(rest: Buffer): void {
    if (rest.length === 0) return;
    const room = this.maxLineBytes - this.pendingBytes;
    if (room > 0) {
      const kept = rest.subarray(0, room);
      // Copy: the caller may reuse the chunk's memory after push() returns.
      this.pending.push(Buffer.from(kept));
      this.pendingBytes += kept.length;
    }
    this.skippedBytes += Math.max(0, rest.length - Math.max(room, 0));
  }
}
