// properties.message → prefix fields + level + message. When the configured prefix does not fit
// (the server's log_line_prefix changed, or a wrong --log-line-prefix), the line is still parsed
// from the `LEVEL:  ` marker so that no audit entry is lost; only the prefix fields are missing.
import { emptyPrefixFields, type PrefixFields } from './prefix-escapes.js';
import { LOG_LEVELS, type CompiledPrefix } from './log-line-prefix.js';

export interface LogLine {
  readonly fields: PrefixFields;
  readonly level: string;
  /** The message after `LEVEL:  `, with stderr continuation tabs removed. */
  readonly message: string;
  /** False when the configured prefix did not match and the level marker was searched instead. */
  readonly prefixMatched: boolean;
}

export type LogLineResult = { readonly ok: true; readonly line: LogLine } | { readonly ok: false; readonly reason: string };

const LEVEL_MARKER = new RegExp(`(?:^|[^A-Z0-9])(${LOG_LEVELS.join('|')}):  `);

export function parseLogLine(text: string, recordLevel: string | null, prefix: CompiledPrefix): LogLineResult {
  const m = prefix.match(text, recordLevel);
  if (m) {
    return { ok: true, line: { fields: m.fields, level: m.level, message: removeContinuationTabs(text.slice(m.messageStart)), prefixMatched: true } };
  }
  const at = findLevelMarker(text, recordLevel);
  if (!at) return { ok: false, reason: `no "<LEVEL>:  " marker in the message (log_line_prefix ${JSON.stringify(prefix.source)})` };
  return {
    ok: true,
    line: { fields: emptyPrefixFields(), level: at.level, message: removeContinuationTabs(text.slice(at.messageStart)), prefixMatched: false },
  };
}

function findLevelMarker(text: string, recordLevel: string | null): { level: string; messageStart: number } | null {
  if (recordLevel) {
    const marker = `${recordLevel}:  `;
    const i = text.indexOf(marker);
    // The prefix never spans lines, so the marker must be on the first line.
    if (i >= 0 && !text.slice(0, i).includes('\n')) return { level: recordLevel, messageStart: i + marker.length };
  }
  const m = LEVEL_MARKER.exec(text);
  if (!m || text.slice(0, m.index).includes('\n')) return null;
  return { level: m[1]!, messageStart: m.index + m[0].length };
}

/**
 * PostgreSQL's stderr writer puts a tab after every newline of a message. If every continuation
 * line starts with a tab, one was added: remove it. Otherwise the text is kept as it is.
 */
export function removeContinuationTabs(message: string): string {
  const nl = message.indexOf('\n');
  if (nl < 0) return message;
  for (let i = nl; i >= 0; i = message.indexOf('\n', i + 1)) {
    if (message.charCodeAt(i + 1) !== 0x09) return message;
  }
  return message.replaceAll('\n\t', '\n');
}
