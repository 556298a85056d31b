// Rows serialised once. Each row's JSON is made when the row is made and never again: its size
// decides the requests it goes into, its text is the request body, the dead letter and the
// replay. (The SDK's upload() would serialise every row twice more: once to size its own chunks
// and once for the body — docs/performance.md.)

/** A row as JSON text, with its UTF-8 size and the byte offset of its source line. */
export interface SerializedRow {
  readonly json: string;
  readonly bytes: number;
  /** SourceOffset of the row (null for rows without one, such as run records). */
  readonly offset: number | null;
}

/** The service takes 1 MB per call; keep room for the brackets and a margin. */
export const MAX_REQUEST_BYTES = 1_000_000 - 1024;

export function serializeRow(row: object): SerializedRow {
  const json = JSON.stringify(row);
  const offset = (row as { SourceOffset?: unknown }).SourceOffset;
  return { json, bytes: Buffer.byteLength(json), offset: typeof offset === 'number' ? offset : null };
}

/** A dead-lettered or replayed line, sent again exactly as it was. */
export function serializedLine(json: string, offset: number | null): SerializedRow {
  return { json, bytes: Buffer.byteLength(json), offset };
}

/** Splits rows, in order, into requests whose JSON array is at most maxBytes (a lone larger row goes alone). */
export function* requestsOf(rows: readonly SerializedRow[], maxBytes = MAX_REQUEST_BYTES): Generator<{ from: number; to: number; bytes: number }> {
  // "[" + "]" + one comma fewer than rows: start at 1 and count a comma with every row.
  let from = 0;
  let bytes = 1;
  for (let i = 0; i < rows.length; i++) {
    const size = rows[i]!.bytes + 1;
    if (i > from && bytes + size > maxBytes) {
      yield { from, to: i, bytes };
      from = i;
      bytes = 1;
    }
    bytes += size;
  }
  if (rows.length > from) yield { from, to: rows.length, bytes };
}

/**
 * How full the last request of the rows so far is, by the packing of requestsOf(): a flush is cut
 * when it is nearly full, so that requests average close to the limit (each flush's last request
 * would otherwise be a partial one).
 */
export class RequestFill {
  private open = 1;
  private rows = 0;

  add(bytes: number): void {
    if (this.rows > 0 && this.open + bytes + 1 > MAX_REQUEST_BYTES) {
      this.open = 1;
      this.rows = 0;
    }
    this.open += bytes + 1;
    this.rows++;
  }

  /** Bytes of the request rows are being added to. */
  get openBytes(): number {
    return this.open;
  }

  reset(): void {
    this.open = 1;
    this.rows = 0;
  }
}

/** The UTF-8 size of bodyOf(rows, from, to): the brackets, the rows and the commas between them. */
export function bodyBytes(rows: readonly SerializedRow[], from = 0, to = rows.length): number {
  let bytes = 1; // "[" + "]" + one comma fewer than rows: start at 1 and count a comma with every row
  for (let i = from; i < to; i++) bytes += rows[i]!.bytes + 1;
  return bytes;
}

/** The request body of rows[from, to). */
export function bodyOf(rows: readonly SerializedRow[], from = 0, to = rows.length): string {
  let body = '[';
  for (let i = from; i < to; i++) body += (i > from ? ',' : '') + rows[i]!.json;
  return body + ']';
}
