// Decoded lines as one flat array of primitives, to move them between threads. A worker that
// reads and decodes (JSON.parse, record validation) posts these; structured cloning a flat array
// of strings costs about a quarter of decoding, while cloning the nested result objects costs as
// much as decoding itself (docs/performance.md), which would leave nothing gained.
//
// Layout per line: offset, flags (1 truncated, 2 invalid UTF-8, 4 unterminated), text (null
// unless the pipeline will read it), then
// -1 and a reason (undecodable), or a record count followed by each record:
//   'r' + the 11 DiagnosticRecord fields in declaration order | 'c' category | 'i' reason.
import { decodeLine, type DiagnosticRecord, type LineDecodeResult, type RecordResult } from './diagnostic-record.js';
import type { Line } from './line-splitter.js';

export type PackedLines = Array<string | number | boolean | null>;

/** A line as the pipeline's processDecoded takes it (decoded null: truncated). */
export interface DecodedLine {
  readonly line: Line;
  readonly decoded: LineDecodeResult | null;
}

/** Decodes lines and appends them to `out`. */
export function packLines(lines: readonly Line[], out: PackedLines = []): PackedLines {
  for (const line of lines) {
    const decoded = line.truncated ? null : decodeLine(line.text);
    const needsText = decoded === null || !decoded.ok || decoded.records.some((r) => !r.ok && r.kind === 'invalid');
    const flags = (line.truncated ? 1 : 0) | (line.invalidUtf8 ? 2 : 0) | (line.unterminated ? 4 : 0);
    out.push(line.offset, flags, needsText ? line.text : null);
    if (decoded === null) out.push(0);
    else if (!decoded.ok) out.push(-1, decoded.reason);
    else {
      out.push(decoded.records.length);
      for (const r of decoded.records) packRecord(r, out);
    }
  }
  return out;
}

function packRecord(r: RecordResult, out: PackedLines): void {
  if (r.ok) {
    const x = r.record;
    out.push('r', x.time, x.resourceId, x.logicalServerName, x.timestamp, x.processId, x.errorLevel, x.sqlerrcode, x.backendType, x.message, x.detail, x.context);
  } else if (r.kind === 'other-category') out.push('c', r.category);
  else out.push('i', r.reason);
}

/** The lines packLines packed, in order. */
export function* unpackLines(p: PackedLines): Generator<DecodedLine> {
  let i = 0;
  while (i < p.length) {
    const offset = p[i++] as number;
    const flags = p[i++] as number;
    const truncated = (flags & 1) !== 0;
    const text = (p[i++] as string | null) ?? '';
    const count = p[i++] as number;
    const line: Line = { offset, truncated, text, ...(flags & 2 ? { invalidUtf8: true } : {}), ...(flags & 4 ? { unterminated: true } : {}) };
    if (truncated) {
      yield { line, decoded: null };
      continue;
    }
    if (count < 0) {
      yield { line, decoded: { ok: false, reason: p[i++] as string } };
      continue;
    }
    const records: RecordResult[] = [];
    for (let k = 0; k < count; k++) {
      const tag = p[i++];
      if (tag === 'c') records.push({ ok: false, kind: 'other-category', category: p[i++] as string });
      else if (tag === 'i') records.push({ ok: false, kind: 'invalid', reason: p[i++] as string });
      else {
        const record: DiagnosticRecord = {
          time: p[i++] as string | null,
          resourceId: p[i++] as string | null,
          logicalServerName: p[i++] as string | null,
          timestamp: p[i++] as string | null,
          processId: p[i++] as number | null,
          errorLevel: p[i++] as string | null,
          sqlerrcode: p[i++] as string | null,
          backendType: p[i++] as string | null,
          message: p[i++] as string,
          detail: p[i++] as string | null,
          context: p[i++] as string | null,
        };
        records.push({ ok: true, record });
      }
    }
    yield { line, decoded: { ok: true, records } };
  }
}
