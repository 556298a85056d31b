// A blob range as flushes: lines in, rows, request bodies out, cut into flushes at line ends.
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
import type { DecodedLine } from '../read/packed-lines.js';
import type { PgAuditRow } from '../schema.js';
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

/** Lines of a range in order, as split here or split and decoded elsewhere (packed-lines.ts). */
export class RangeFlushes {
  private readonly requests: RequestBuilder;
  /** Only flushes of several requests wait for a full last one (small flushes are for tests). */
  private readonly slack: number;
  private from: number;

  constructor(
    private readonly pipeline: AuditPipeline,
    private readonly options: Pick<RangeOptions, 'source' | 'startOffset' | 'flushBytes'>,
    /** Request memory to reuse (range-worker.ts). */
    reuse?: () => ArrayBuffer | undefined,
  ) {
    this.requests = new RequestBuilder(MAX_REQUEST_BYTES, reuse);
    this.slack = options.flushBytes >= 4 * MAX_REQUEST_BYTES ? MAX_REQUEST_BYTES : 0;
    this.from = options.startOffset;
  }

  /** Lines split here; `consumedOffset` is where the last of them ends. Returns the flushes they completed. */
  lines(lines: readonly Line[], consumedOffset: number): RangeFlush[] {
    return this.each(lines.length, (i) => this.pipeline.processLine(lines[i]!, this.options.source), (i) => lines[i]!.offset, consumedOffset);
  }

  /** Lines decoded elsewhere, as lines(). */
  decoded(lines: readonly DecodedLine[], consumedOffset: number): RangeFlush[] {
    return this.each(lines.length, (i) => this.pipeline.processDecoded(lines[i]!.line, lines[i]!.decoded, this.options.source), (i) => lines[i]!.line.offset, consumedOffset);
  }

  /** Ends the range after its last line: the last flush, with the bytes held back as a cut line. */
  end(consumedOffset: number, pendingBytes: number): RangeEnd {
    return { flush: this.take(consumedOffset), pendingBytes };
  }

  /** Adds each line's rows; a flush ends after the line where it is due (at the next line's offset). */
  private each(n: number, rowsOf: (i: number) => PgAuditRow[], offsetOf: (i: number) => number, consumedOffset: number): RangeFlush[] {
    const out: RangeFlush[] = [];
    for (let i = 0; i < n; i++) {
      for (const row of rowsOf(i)) this.requests.add(JSON.stringify(row), row.SourceOffset);
      if (this.due()) out.push(this.take(i + 1 < n ? offsetOf(i + 1) : consumedOffset));
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
  const splitter = new LineSplitter(options.startOffset, options.maxLineBytes);
  const range = new RangeFlushes(pipeline, options);
  let last: RangeFlush | null = null;
  let ended = false;
  try {
    for await (const chunk of chunks) {
      for (const f of range.lines(splitter.push(chunk), splitter.consumedOffset)) {
        last = f;
        yield f;
      }
    }
    const cut = splitter.end(options.final);
    for (const f of cut ? range.lines([cut], splitter.consumedOffset) : []) {
      last = f;
      yield f;
    }
    ended = true;
    return range.end(splitter.consumedOffset, splitter.pendingLength);
  } finally {
    // Lines after the last flush were read but not checkpointed: the next read starts before them.
    if (!ended && last) pipeline.restore(last.sessions);
  }
}
