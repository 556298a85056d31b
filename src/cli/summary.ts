// The run summary printed on stderr (text for people, JSON for scripts).
import { EVENT_TYPES } from '../schema.js';
import { totalRows, type PipelineStats } from '../pipeline/stats.js';

const fmt = new Intl.NumberFormat('en-US');

export interface RunSummary {
  readonly files: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly stats: PipelineStats;
  readonly logLinePrefix: string;
}

export function summaryJson(s: RunSummary): object {
  return {
    files: s.files,
    bytes: s.bytes,
    seconds: Number(s.seconds.toFixed(3)),
    lines: s.stats.lines,
    records: s.stats.records,
    rows: totalRows(s.stats),
    rowsByEventType: s.stats.rows,
    dropped: s.stats.dropped,
    droppedByReason: s.stats.droppedByReason,
    unparsed: s.stats.rows.UNPARSED,
    redacted: s.stats.redacted,
    prefixMismatches: s.stats.prefixMismatches,
    truncatedLines: s.stats.truncatedLines,
    missingStatements: s.stats.missingStatements,
    filtered: s.stats.filtered,
    filteredByRule: s.stats.filteredByRule,
    cutRows: s.stats.cutRows,
    invalidUtf8Lines: s.stats.invalidUtf8Lines,
  };
}

export function summaryText(s: RunSummary): string {
  const st = s.stats;
  const byType = EVENT_TYPES.map((t) => `${t} ${fmt.format(st.rows[t])}`).join(', ');
  const topDropped = Object.entries(st.droppedByReason)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([reason, n]) => `${reason} ${fmt.format(n)}`)
    .join(', ');
  const lines = [
    `read ${fmt.format(s.files)} file(s), ${fmt.format(s.bytes)} bytes, ${fmt.format(st.lines)} lines, ${fmt.format(st.records)} records in ${s.seconds.toFixed(2)} s`,
    `rows ${fmt.format(totalRows(st))}: ${byType}`,
    `dropped ${fmt.format(st.dropped)}${topDropped ? ` (${topDropped})` : ''}`,
    `unparsed ${fmt.format(st.rows.UNPARSED)}, redacted ${fmt.format(st.redacted)}, missing pgAudit statements ${fmt.format(st.missingStatements)}`,
  ];
  if (st.prefixMismatches > 0) {
    lines.push(
      `warning: ${fmt.format(st.prefixMismatches)} line(s) did not match log_line_prefix ${JSON.stringify(s.logLinePrefix)}; ` +
        `their prefix fields (session, user, ...) are missing. Pass the server's log_line_prefix with --log-line-prefix.`,
    );
  }
  if (st.filtered > 0) lines.push(`filtered ${fmt.format(st.filtered)} (${Object.entries(st.filteredByRule).map(([r, n]) => `${r} ${fmt.format(n)}`).join(', ')})`);
  if (st.cutRows > 0) lines.push(`${fmt.format(st.cutRows)} row(s) cut to fit the row size limit (TruncatedColumns names what)`);
  if (st.invalidUtf8Lines > 0) lines.push(`warning: ${fmt.format(st.invalidUtf8Lines)} line(s) were not valid UTF-8 (their rows have InvalidUtf8)`);
  if (st.truncatedLines > 0) lines.push(`warning: ${fmt.format(st.truncatedLines)} line(s) exceeded the line limit and became UNPARSED rows`);
  return lines.map((l) => `pgaudit-ingest: ${l}`).join('\n') + '\n';
}
