// A blob range as flushes: bytes in, lines, rows, request bodies out, cut into flushes at line ends.
// Pure and synchronous (no I/O, no @azure/*): the shipper runs it inline for small ranges and in
// a worker thread for large ones (range-thread.ts), with the same result.
//
// A flush is cut after the line where it reaches the flush size and its open request is nearly
// full (or one request later), so requests average close to the limit; it carries the session
// state and the counters exactly as they were after that line, which is what its checkpoint
// stores. Rows are serialised once, straight into their request's bytes.
import type { AuditPipeline } from '../pipeline/audit-pipeline.js';
import type { LineSource } from '../pipeline/row-builder.js';
import type { PipelineStats } from '../pipeline/stats.js';
import type { SessionsText } from '../enrich/sessions.js';
import { LineSplitter, type Line } from '../read/line-splitter.js';
import { RequestBuilder, rowCount, type RequestBody } from './request-body.js';
import { MAX_REQUEST_BYTES } from './serialized-rows.js';

/** A request this full counts as full when choosing where a flush ends. */
const FULL_REQUEST_BYTES = 0.9 * MAX_REQUEST_BYTES;

export interface RangeOptions {
  readonly source: LineSource;
  /** Byte offset of the first chunk in the blob (the checkpoint). */
  readonly startOffset: number;
  /** Past the lookback the blob is final: a cut last line becomes an UNPARSED row. */
  readonly final: boolean;
  readonly maxLineBytes: number;
  /** Cut a flush once this many bytes of rows are pending. */
  readonly flushBytes: number;
}

/** Rows up to a line end, as requests, with the session state and counters as they were there. */
export interface RangeFlush {
  readonly requests: RequestBody[];
  readonly rows: number;
  /** The blob offsets the flush's lines cover: [from, end). */
  readonly from: number;
  readonly end: number;
  /** The sessions as JSON text, as the checkpoint stores them. */
  readonly sessions: SessionsText;
  readonly stats: PipelineStats;
  /** Read in a worker: gives the requests' memory back to it once they are sent (not before). */
  readonly release?: () => void;
}

/** The end of a range: its last flush (possibly empty) and the bytes held back as a cut line. */
export interface RangeEnd {
  readonly flush: RangeFlush;
  readonly pendingBytes: number;
}

/** The last flushes of a range and its end. */
export interface RangeTail {
  /** Flushes the cut last line completed (a final blob's only). */
  readonly flushes: RangeFlush[];
  readonly end: RangeEnd;
}

/** The bytes of a range in order, as flushes; one instance per range. */
export class RangeFlushes {
  private readonly splitter: LineSplitter;
  private readonly requests: RequestBuilder;
  /** Only flushes of several requests wait for a full last one (small flushes are for tests). */
  private readonly slack: number;
  private from: number;

  constructor(
    private readonly pipeline: AuditPipeline,
    private readonly options: RangeOptions,
    /** Request memory to reuse (range-worker.ts). */
    reuse?: () => ArrayBuffer | undefined,
  ) {
    this.splitter = new LineSplitter(options.startOffset, options.maxLineBytes);
    this.requests = new RequestBuilder(MAX_REQUEST_BYTES, reuse);
    this.slack = options.flushBytes >= 4 * MAX_REQUEST_BYTES ? MAX_REQUEST_BYTES : 0;
    this.from = options.startOffset;
  }

  /** Feeds a chunk of the range; returns the flushes its lines completed, in order. */
  push(chunk: Uint8Array): RangeFlush[] {
    return this.add(this.splitter.push(chunk));
  }

  /** Ends the range: the cut last line (taken only when the blob is final), the last flush, what is held back. */
  end(): RangeTail {
    const cut = this.splitter.end(this.options.final);
    const flushes = cut ? this.add([cut]) : [];
    return { flushes, end: { flush: this.take(this.splitter.consumedOffset), pendingBytes: this.splitter.pendingLength } };
  }

  /** Adds each line's rows; a flush ends after the line where it is due (at the next line's offset). */
  private add(lines: readonly Line[]): RangeFlush[] {
    const out: RangeFlush[] = [];
    for (let i = 0; i < lines.length; i++) {
      for (const row of this.pipeline.processLine(lines[i]!, this.options.source)) this.requests.add(JSON.stringify(row), row.SourceOffset);
      if (this.due()) out.push(this.take(lines[i + 1]?.offset ?? this.splitter.consumedOffset));
    }
    return out;
  }

  private due(): boolean {
    const pending = this.requests.pendingBytes;
    const flushBytes = this.options.flushBytes;
    return pending >= flushBytes && (this.requests.openBytes >= FULL_REQUEST_BYTES || pending >= flushBytes + this.slack);
  }

  private take(end: number): RangeFlush {
    const requests = this.requests.take();
    const flush: RangeFlush = {
      requests,
      rows: requests.reduce((n, r) => n + rowCount(r), 0),
      from: this.from,
      end,
      sessions: this.pipeline.sessionsText(),
      stats: this.pipeline.takeStats(),
    };
    this.from = end;
    return flush;
  }
}

/**
 * The flushes of a range read inline. When the generator is closed after a flush (the run's
 * budget ended), the pipeline's state is set back to that flush's (what its checkpoint stores).
 * A range that fails ends its server's run: its pipeline is not used again.
 */
export async function* inlineRangeFlushes(chunks: AsyncIterable<Uint8Array>, pipeline: AuditPipeline, options: RangeOptions): AsyncGenerator<RangeFlush, RangeEnd> {
  const range = new RangeFlushes(pipeline, options);
  let last: RangeFlush | null = null;
  let ended = false;
  try {
    for await (const chunk of chunks) {
      for (const f of range.push(chunk)) {
        last = f;
        yield f;
      }
    }
    const tail = range.end();
    for (const f of tail.flushes) {
      last = f;
      yield f;
    }
    ended = true;
    return tail.end;
  } finally {
    // Lines after the last flush were read but not checkpointed: the next read starts before them.
    if (!ended && last) pipeline.restore(last.sessions);
  }
}
