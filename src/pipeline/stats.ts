// Counters of one run: every line is either a row or a count here, never silently gone.
import { EVENT_TYPES, type EventType } from '../schema.js';

export interface PipelineStats {
  /** Lines read (including blank ones). */
  lines: number;
  blankLines: number;
  /** Diagnostic records decoded (any category). */
  records: number;
  rows: Record<EventType, number>;
  /** Records that are not rows: other categories and log lines PgAudit_CL does not keep. */
  dropped: number;
  droppedByReason: Record<string, number>;
  /** Rows whose Redacted is true. */
  redacted: number;
  /** Lines whose message did not match the log_line_prefix (parsed from the level marker). */
  prefixMismatches: number;
  /** Lines longer than the line limit (cut, then UNPARSED). */
  truncatedLines: number;
  /** pgAudit statements reported missing by GAP rows. */
  missingStatements: number;
  /** Rows left out by the filters, in total and by rule (they are not in `rows`). */
  filtered: number;
  filteredByRule: Record<string, number>;
  /** Rows cut to fit the row size limit (TruncatedColumns). */
  cutRows: number;
  /** Lines that were not valid UTF-8 (their rows have InvalidUtf8). */
  invalidUtf8Lines: number;
}

export function emptyStats(): PipelineStats {
  return {
    lines: 0,
    blankLines: 0,
    records: 0,
    rows: Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<EventType, number>,
    dropped: 0,
    droppedByReason: {},
    redacted: 0,
    prefixMismatches: 0,
    truncatedLines: 0,
    missingStatements: 0,
    filtered: 0,
    filteredByRule: {},
    cutRows: 0,
    invalidUtf8Lines: 0,
  };
}

export function countDropped(stats: PipelineStats, reason: string): void {
  stats.dropped++;
  stats.droppedByReason[reason] = (stats.droppedByReason[reason] ?? 0) + 1;
}

export function totalRows(stats: PipelineStats): number {
  return EVENT_TYPES.reduce((sum, t) => sum + stats.rows[t], 0);
}

/** Adds `b` into `a` (for summaries over several blobs). */
export function addStats(a: PipelineStats, b: PipelineStats): void {
  a.lines += b.lines;
  a.blankLines += b.blankLines;
  a.records += b.records;
  for (const t of EVENT_TYPES) a.rows[t] += b.rows[t];
  a.dropped += b.dropped;
  for (const [k, v] of Object.entries(b.droppedByReason)) a.droppedByReason[k] = (a.droppedByReason[k] ?? 0) + v;
  a.redacted += b.redacted;
  a.prefixMismatches += b.prefixMismatches;
  a.truncatedLines += b.truncatedLines;
  a.missingStatements += b.missingStatements;
  a.filtered += b.filtered;
  for (const [k, v] of Object.entries(b.filteredByRule)) a.filteredByRule[k] = (a.filteredByRule[k] ?? 0) + v;
  a.cutRows += b.cutRows;
  a.invalidUtf8Lines += b.invalidUtf8Lines;
}
