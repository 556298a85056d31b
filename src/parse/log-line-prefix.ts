// Compiles a log_line_prefix into a matcher for `<prefix><LEVEL>:  <message>` using the escape
// table. Padding (`%-10u`, `%10u`) becomes optional spaces around the value, `%q` makes the rest
// of the prefix optional (processes without a session stop printing there), unknown escapes print
// nothing (as in PostgreSQL). The level is taken from the record when known, which pins where the
// prefix ends even when a free-text field could stretch.
import {
  ESCAPES_BY_LETTER,
  LITERAL_PERCENT,
  STOP_IF_NO_SESSION,
  emptyPrefixFields,
  type PrefixEscape,
  type PrefixFields,
} from './prefix-escapes.js';

export const DEFAULT_LOG_LINE_PREFIX = '%t-%c-';

/** Every severity PostgreSQL prints; DETAIL etc. appear when a follow-up line is shipped alone. */
export const LOG_LEVELS = [
  'DEBUG5', 'DEBUG4', 'DEBUG3', 'DEBUG2', 'DEBUG1', 'DEBUG', 'LOG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'FATAL', 'PANIC',
  'DETAIL', 'HINT', 'QUERY', 'CONTEXT', 'LOCATION', 'STATEMENT',
] as const;
const ANY_LEVEL = `(?:${LOG_LEVELS.join('|')})`;
const KNOWN_LEVELS: ReadonlySet<string> = new Set(LOG_LEVELS);

export interface PrefixMatch {
  readonly fields: PrefixFields;
  readonly level: string;
  /** Index in the text where the message (after `LEVEL:  `) starts. */
  readonly messageStart: number;
}

export interface CompiledPrefix {
  readonly source: string;
  /** Escapes the prefix uses, e.g. to know whether it carries %c or %u. */
  readonly letters: ReadonlySet<string>;
  match(text: string, level: string | null): PrefixMatch | null;
}

interface Piece {
  readonly escape: PrefixEscape;
  readonly group: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function wrapPadding(pattern: string, padding: number): string {
  if (padding === 0) return `(${pattern})`;
  // Right-justified values are preceded by spaces, left-justified ones followed by spaces.
  return padding > 0 ? ` *(${pattern})` : `(${pattern}) *`;
}

/** Builds the prefix regular expression source and the capture-group → escape mapping. */
function compileSource(prefix: string): { source: string; pieces: Piece[]; letters: Set<string> } {
  let before = '';
  let after: string | null = null; // text after %q, optional as a whole
  const pieces: Piece[] = [];
  const letters = new Set<string>();
  let group = 0;
  const emit = (fragment: string): void => {
    if (after === null) before += fragment;
    else after += fragment;
  };
  for (let i = 0; i < prefix.length; i++) {
    const ch = prefix[i]!;
    if (ch !== '%') {
      emit(escapeRegExp(ch));
      continue;
    }
    // Optional padding: `-` and/or digits between `%` and the letter.
    let j = i + 1;
    let sign = 1;
    if (prefix[j] === '-') {
      sign = -1;
      j++;
    }
    let digits = '';
    while (j < prefix.length && /[0-9]/.test(prefix[j]!)) digits += prefix[j++];
    const letter = prefix[j];
    i = j;
    if (letter === undefined) break; // a trailing `%` prints nothing
    const padding = digits === '' ? 0 : sign * Number(digits);
    if (letter === LITERAL_PERCENT) {
      emit('%');
      continue;
    }
    if (letter === STOP_IF_NO_SESSION) {
      if (after === null) after = '';
      letters.add(letter);
      continue;
    }
    const escape = ESCAPES_BY_LETTER.get(letter);
    if (!escape) continue; // PostgreSQL ignores unknown escapes
    letters.add(letter);
    group++;
    pieces.push({ escape, group });
    emit(wrapPadding(escape.pattern, padding));
  }
  const source = after === null ? before : `${before}(?:${after})?`;
  return { source, pieces, letters };
}

/** Compiles a log_line_prefix. Throws only for a prefix that cannot be compiled at all. */
export function compileLogLinePrefix(prefix: string): CompiledPrefix {
  const { source, pieces, letters } = compileSource(prefix);
  const byLevel = new Map<string, RegExp>();
  const anyLevel = new RegExp(`^${source}(${ANY_LEVEL}):  `);
  const levelGroup = pieces.length + 1;

  const regexFor = (level: string): RegExp => {
    let re = byLevel.get(level);
    if (!re) {
      re = new RegExp(`^${source}(${escapeRegExp(level)}):  `);
      byLevel.set(level, re);
    }
    return re;
  };

  const toMatch = (m: RegExpExecArray): PrefixMatch => {
    const fields = emptyPrefixFields();
    for (const piece of pieces) {
      const text = m[piece.group];
      if (text !== undefined) piece.escape.assign(fields, text);
    }
    return { fields, level: m[levelGroup]!, messageStart: m[0].length };
  };

  return {
    source: prefix,
    letters,
    match(text, level) {
      // Only known levels get their own cached expression, so hostile input cannot grow the cache.
      const m = (level && KNOWN_LEVELS.has(level) ? regexFor(level).exec(text) : null) ?? anyLevel.exec(text);
      return m ? toMatch(m) : null;
    },
  };
}

/**
 * Why a log_line_prefix cannot be what a server prints, or null. A lone `%` at the end prints
 * nothing in PostgreSQL, so it is almost always a typing mistake (`%%` is a literal percent).
 */
export function prefixProblem(prefix: string): string | null {
  const trailing = /%-?\d*$/.exec(prefix.replaceAll('%%', ''));
  if (trailing) return `ends with a lone "${trailing[0]}" (PostgreSQL prints nothing for it; write %% for a literal percent sign)`;
  return null;
}

/** What to warn about in a usable prefix: escapes PostgreSQL ignores, or no prefix at all. */
export function prefixWarnings(prefix: string): string[] {
  const warnings: string[] = [];
  if (prefix === '') warnings.push('log_line_prefix is empty: rows get no time, session or user from the prefix (sessions are found by process id)');
  const unknown = unknownEscapes(prefix);
  if (unknown.length) warnings.push(`log_line_prefix ${JSON.stringify(prefix)} has escapes PostgreSQL ignores: ${unknown.join(' ')}`);
  return warnings;
}

/** The escapes of a prefix that PostgreSQL would not recognise (reported as a warning). */
export function unknownEscapes(prefix: string): string[] {
  const unknown: string[] = [];
  const re = /%-?\d*(.)/g;
  for (let m = re.exec(prefix); m; m = re.exec(prefix)) {
    const letter = m[1]!;
    if (letter !== LITERAL_PERCENT && letter !== STOP_IF_NO_SESSION && !ESCAPES_BY_LETTER.has(letter)) unknown.push(`%${letter}`);
  }
  return unknown;
}
