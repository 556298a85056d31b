// Streams byte chunks through the line splitter and the pipeline. Pure apart from consuming the
// async iterable it is given: the caller decides where bytes come from (file, blob range).
import { LineSplitter, DEFAULT_MAX_LINE_BYTES } from '../read/line-splitter.js';
import type { PgAuditRow } from '../schema.js';
import type { AuditPipeline } from './audit-pipeline.js';

export interface ChunkRowsOptions {
  readonly sourceBlob: string;
  /** Byte offset of the first chunk in the source (a checkpoint). */
  readonly startOffset?: number;
  /**
   * True for a complete source (a local file): a last line without a newline is processed.
   * False for a blob that may still grow: such a line waits for the next read.
   */
  readonly final: boolean;
  readonly maxLineBytes?: number;
}

export interface ChunkRowsResult {
  /** Offset just past the last processed line: the next read starts here. */
  readonly endOffset: number;
  /** Bytes after endOffset held back as an incomplete line. */
  readonly pendingBytes: number;
}

/**
 * Yields the rows of each chunk as one batch (a batch may be empty), in input order, and
 * returns where processing stopped.
 */
export async function* chunkRows(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  pipeline: AuditPipeline,
  options: ChunkRowsOptions,
): AsyncGenerator<PgAuditRow[], ChunkRowsResult> {
  const splitter = new LineSplitter(options.startOffset ?? 0, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  for await (const chunk of chunks) {
    const batch: PgAuditRow[] = [];
    for (const line of splitter.push(chunk)) {
      for (const row of pipeline.processLine(line, options.sourceBlob)) batch.push(row);
    }
    yield batch;
  }
  const last = splitter.end(options.final);
  if (last) yield pipeline.processLine(last, options.sourceBlob);
  return { endOffset: splitter.consumedOffset, pendingBytes: splitter.pendingLength };
}
