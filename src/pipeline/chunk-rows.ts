// Streams byte chunks through the line splitter and the pipeline. Pure apart from consuming the
// async iterable it is given: the caller decides where bytes come from (file, blob range).
import { LineSplitter, DEFAULT_MAX_LINE_BYTES } from '../read/line-splitter.js';
import { unpackLines, type PackedLines } from '../read/packed-lines.js';
import type { PgAuditRow } from '../schema.js';
import type { AuditPipeline } from './audit-pipeline.js';

export interface ChunkRowsOptions {
  readonly sourceBlob: string;
  /** The blob's identity (its creation time) for RecordIds; absent for local files. */
  readonly blobIdentity?: string | null;
  /** Byte offset of the first chunk in the source (a checkpoint). */
  readonly startOffset?: number;
  /**
   * True for a complete source (a local file): a last line without a newline is processed.
   * False for a blob that may still grow: such a line waits for the next read.
   */
  readonly final: boolean;
  readonly maxLineBytes?: number;
}

/** The rows of one chunk, and the offset just past the last line they came from. */
export interface RowBatch {
  readonly rows: PgAuditRow[];
  /** Pipeline state (sessions) corresponds exactly to this offset while the batch is handled. */
  readonly endOffset: number;
}

export interface ChunkRowsResult {
  /** Offset just past the last processed line: the next read starts here. */
  readonly endOffset: number;
  /** Bytes after endOffset held back as an incomplete line. */
  readonly pendingBytes: number;
}

/**
 * Yields the rows of each chunk as one batch (a batch may be empty), in input order, and
 * returns where processing stopped. The generator is pulled: while the caller awaits (an
 * upload, a checkpoint) no further input is read, so memory stays bounded.
 */
export async function* chunkRows(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  pipeline: AuditPipeline,
  options: ChunkRowsOptions,
): AsyncGenerator<RowBatch, ChunkRowsResult> {
  const splitter = new LineSplitter(options.startOffset ?? 0, options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  const source = { blob: options.sourceBlob, identity: options.blobIdentity ?? null };
  for await (const chunk of chunks) {
    const rows: PgAuditRow[] = [];
    for (const line of splitter.push(chunk)) {
      for (const row of pipeline.processLine(line, source)) rows.push(row);
    }
    yield { rows, endOffset: splitter.consumedOffset };
  }
  const last = splitter.end(options.final);
  if (last) yield { rows: pipeline.processLine(last, source), endOffset: splitter.consumedOffset };
  return { endOffset: splitter.consumedOffset, pendingBytes: splitter.pendingLength };
}

/** A batch of lines decoded elsewhere (a decode worker), and where they end in the source. */
export interface PackedLinesBatch {
  readonly packed: PackedLines;
  readonly endOffset: number;
}

/** chunkRows for lines already split and decoded (packLines): the same rows, in order. */
export async function* packedRows(batches: AsyncIterable<PackedLinesBatch> | Iterable<PackedLinesBatch>, pipeline: AuditPipeline, sourceBlob: string): AsyncGenerator<RowBatch> {
  for await (const batch of batches) {
    const rows: PgAuditRow[] = [];
    for (const { line, decoded } of unpackLines(batch.packed)) {
      for (const row of pipeline.processDecoded(line, decoded, sourceBlob)) rows.push(row);
    }
    yield { rows, endOffset: batch.endOffset };
  }
}
