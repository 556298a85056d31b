// Request bodies built as bytes, row by row: each row's JSON is encoded once, straight into the
// buffer of the request it goes into ("[" row "," row … "]"), and that buffer is what is sent
// (the client's gzip policy takes bytes as they are). Building one string per request instead
// made a rope that had to be flattened and encoded again before gzip (docs/performance.md).
// Where each row ends and which source line it came from are kept beside the bytes, so a
// request can still be halved (413) or dead-lettered row by row.
import { MAX_REQUEST_BYTES, serializedLine, type SerializedRow } from './serialized-rows.js';

/** One request: the body (a JSON array), where each row's JSON ends in it, each row's SourceOffset (NaN: none). */
export interface RequestBody {
  readonly body: Uint8Array;
  /** ends[i]: the index just past row i's JSON (the "," or "]" after it). */
  readonly ends: Uint32Array;
  readonly offsets: Float64Array;
}

const OPEN = 0x5b; // [
const COMMA = 0x2c;
const CLOSE = 0x5d; // ]

export function rowCount(r: RequestBody): number {
  return r.ends.length;
}

/** The SourceOffset of row i of a request (null for rows without one). */
export function rowOffset(r: RequestBody, i: number): number | null {
  const o = r.offsets[i]!;
  return Number.isNaN(o) ? null : o;
}

/** The rows of a request as serialised rows (for dead letters): exactly the bytes that were sent. */
export function rowsOf(r: RequestBody, from = 0, to = rowCount(r)): SerializedRow[] {
  const out: SerializedRow[] = [];
  const text = Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength);
  for (let i = from; i < to; i++) out.push(serializedLine(text.toString('utf8', i === 0 ? 1 : r.ends[i - 1]! + 1, r.ends[i]), rowOffset(r, i)));
  return out;
}

/**
 * Packs rows, in order, into requests whose body is at most maxBytes; a row that does not fit
 * starts the next request, and a lone larger row goes alone (the service then says 413).
 */
export class RequestBuilder {
  private readonly done: RequestBody[] = [];
  private buf: Buffer | null = null;
  private pos = 0;
  private ends: number[] = [];
  private offsets: number[] = [];
  private taken = 0;

  constructor(
    private readonly maxBytes = MAX_REQUEST_BYTES,
    /** Memory of sent requests to build new ones in (any of maxBytes or more); fresh memory otherwise. */
    private readonly reuse?: () => ArrayBuffer | undefined,
  ) {}

  /** Bytes of the request rows are being added to, as sent (brackets included); 1 when none is open. */
  get openBytes(): number {
    return this.ends.length === 0 ? 1 : this.pos + 1;
  }

  /** Bytes of all rows added since the last take(), each with its separator. */
  get pendingBytes(): number {
    return this.taken;
  }

  add(json: string, offset: number | null): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only a row that might not fit is measured.
    const room = this.maxBytes - this.pos - 2; // the "," before it and the "]" after it
    const bound = json.length * 3;
    if (this.buf !== null && this.ends.length > 0 && bound > room && Buffer.byteLength(json) > room) this.close();
    if (this.buf === null) this.open(bound);
    const buf = this.buf!;
    buf[this.pos++] = this.ends.length === 0 ? OPEN : COMMA;
    const written = buf.write(json, this.pos, 'utf8');
    this.pos += written;
    this.ends.push(this.pos);
    this.offsets.push(offset ?? Number.NaN);
    this.taken += written + 1;
  }

  /** The requests of every row added since the last take(), in order. */
  take(): RequestBody[] {
    this.close();
    const out = this.done.splice(0);
    this.taken = 0;
    return out;
  }

  private open(bound: number): void {
    // A lone row larger than a request gets a buffer of its own size.
    const size = Math.max(this.maxBytes, bound + 2);
    const used = size === this.maxBytes ? this.reuse?.() : undefined;
    this.buf = used && used.byteLength >= size ? Buffer.from(used) : Buffer.allocUnsafeSlow(size);
    this.pos = 0;
  }

  private close(): void {
    if (this.buf === null || this.ends.length === 0) return;
    this.buf[this.pos++] = CLOSE;
    this.done.push({ body: this.buf.subarray(0, this.pos), ends: Uint32Array.from(this.ends), offsets: Float64Array.from(this.offsets) });
    this.buf = null;
    this.ends = [];
    this.offsets = [];
  }
}

/** Serialised rows as requests (run records, replays): the same packing as while shipping. */
export function requestsOf(rows: readonly SerializedRow[], maxBytes = MAX_REQUEST_BYTES): RequestBody[] {
  const b = new RequestBuilder(maxBytes);
  for (const r of rows) b.add(r.json, r.offset);
  return b.take();
}

/** The two halves of a request the service found too large, as requests of their own. */
export function splitRequest(r: RequestBody): [RequestBody, RequestBody] {
  const n = rowCount(r);
  const half = Math.ceil(n / 2);
  const part = (from: number, to: number): RequestBody => {
    const start = from === 0 ? 1 : r.ends[from - 1]! + 1;
    const end = r.ends[to - 1]!;
    const body = new Uint8Array(end - start + 2);
    body[0] = OPEN;
    body.set(r.body.subarray(start, end), 1);
    body[body.length - 1] = CLOSE;
    const ends = r.ends.slice(from, to).map((e) => e - start + 1);
    return { body, ends, offsets: r.offsets.slice(from, to) };
  };
  return [part(0, half), part(half, n)];
}
