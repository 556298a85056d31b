// A small SQL tokenizer, enough to read the statements that change application_name (SET, RESET,
// set_config, transaction control) out of the text pgAudit logs, and to split a multi-statement
// query string at its top-level semicolons. It follows PostgreSQL's lexer (scan.l) for what such
// statements can hold: '…' with '' escapes, E'…' with backslash escapes, U&'…' [UESCAPE 'c'],
// $tag$…$tag$, "identifiers", bare words, numbers, -- and nested /* */ comments, and string
// constants continued over a newline ('a'\n'b' is 'ab'). Anything else is an operator token.
// It never throws on ordinary input: malformed text is { ok: false, reason }.

export type SqlToken =
  | { readonly kind: 'word'; readonly value: string } // bare identifier or keyword, ASCII letters lower-cased
  | { readonly kind: 'ident'; readonly value: string } // "quoted identifier"
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: string }
  | { readonly kind: 'op'; readonly value: string };

export type TokenizeResult = { readonly ok: true; readonly tokens: SqlToken[] } | { readonly ok: false; readonly reason: string };

// Character classes by code (a regular expression per character costs more than the rest of the scan).
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWordStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 0x80;
const isWordPart = (c: number): boolean => isWordStart(c) || isDigit(c) || c === 36;
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);
const NUMBER = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/** PostgreSQL folds unquoted identifiers to lower case, ASCII letters only (downcase_identifier). */
export const foldIdentifier = (word: string): string => word.replace(/[A-Z]+/g, (m) => m.toLowerCase());

export function tokenize(sql: string): TokenizeResult {
  const tokens: SqlToken[] = [];
  let i = 0;
  const fail = (reason: string): TokenizeResult => ({ ok: false, reason });
  while (i < sql.length) {
    const c = sql[i]!;
    const code = sql.charCodeAt(i);
    if (isSpace(code)) {
      i++;
    } else if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = skipBlockComment(sql, i);
      if (end < 0) return fail('unterminated /* comment');
      i = end;
    } else if (c === "'" || ((c === 'E' || c === 'e') && sql[i + 1] === "'") || ((c === 'U' || c === 'u') && sql.startsWith("&'", i + 1))) {
      const lit = readStringConstant(sql, i);
      if (!lit.ok) return fail(lit.reason);
      tokens.push({ kind: 'string', value: lit.value });
      i = lit.end;
    } else if (c === '"') {
      const q = readQuoted(sql, i + 1, '"');
      if (!q) return fail('unterminated quoted identifier');
      tokens.push({ kind: 'ident', value: q.value });
      i = q.end;
    } else if (c === '$' && DOLLAR_TAG.test(sql.slice(i, i + 64))) {
      const tag = DOLLAR_TAG.exec(sql.slice(i, i + 64))![0];
      const close = sql.indexOf(tag, i + tag.length);
      if (close < 0) return fail('unterminated dollar-quoted string');
      tokens.push({ kind: 'string', value: sql.slice(i + tag.length, close) });
      i = close + tag.length;
    } else if (isDigit(code) || (c === '.' && isDigit(sql.charCodeAt(i + 1)))) {
      const m = NUMBER.exec(sql.slice(i, i + 400))!;
      tokens.push({ kind: 'number', value: m[0] });
      i += m[0].length;
    } else if (isWordStart(code)) {
      let j = i + 1;
      while (j < sql.length && isWordPart(sql.charCodeAt(j))) j++;
      tokens.push({ kind: 'word', value: foldIdentifier(sql.slice(i, j)) });
      i = j;
    } else {
      tokens.push({ kind: 'op', value: c });
      i++;
    }
  }
  return { ok: true, tokens };
}

/** Splits tokens at top-level semicolons; empty statements are left out. */
export function splitStatements(tokens: readonly SqlToken[]): SqlToken[][] {
  const out: SqlToken[][] = [];
  let current: SqlToken[] = [];
  for (const t of tokens) {
    if (t.kind === 'op' && t.value === ';') {
      if (current.length > 0) out.push(current);
      current = [];
    } else current.push(t);
  }
  if (current.length > 0) out.push(current);
  return out;
}

function skipBlockComment(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return -1;
}

/** Reads up to the closing quote; a doubled quote is one quote character. */
function readQuoted(sql: string, from: number, quote: string): { value: string; end: number } | null {
  let value = '';
  let i = from;
  for (;;) {
    const close = sql.indexOf(quote, i);
    if (close < 0) return null;
    value += sql.slice(i, close);
    if (sql[close + 1] !== quote) return { value, end: close + 1 };
    value += quote;
    i = close + 2;
  }
}

type Lit = { ok: true; value: string; end: number } | { ok: false; reason: string };

/** A string constant and its continuations (the next constant after whitespace holding a newline). */
function readStringConstant(sql: string, start: number): Lit {
  const first = readOneConstant(sql, start);
  if (!first.ok) return first;
  let { value, end } = first;
  for (;;) {
    let at = end;
    let newline = false;
    for (; at < sql.length && isSpace(sql.charCodeAt(at)); at++) newline ||= sql[at] === '\n' || sql[at] === '\r';
    if (!newline || sql[at] !== "'") break;
    const next = readOneConstant(sql, at);
    if (!next.ok) return next;
    value += next.value;
    end = next.end;
  }
  return { ok: true, value, end };
}

function readOneConstant(sql: string, start: number): Lit {
  const c = sql[start]!;
  if (c === "'") {
    const q = readQuoted(sql, start + 1, "'");
    return q ? { ok: true, ...q } : { ok: false, reason: 'unterminated string constant' };
  }
  if (c === 'E' || c === 'e') return readEscapeString(sql, start + 2);
  const q = readQuoted(sql, start + 3, "'");
  if (!q) return { ok: false, reason: 'unterminated U& string constant' };
  let escape = '\\';
  let end = q.end;
  const uescape = /^[ \t\n\r\f\v]*uescape[ \t\n\r\f\v]*'([^'])'/i.exec(sql.slice(end, end + 100));
  if (uescape) {
    escape = uescape[1]!;
    end += uescape[0].length;
  }
  const decoded = decodeUnicodeEscapes(q.value, escape);
  return decoded === null ? { ok: false, reason: 'invalid Unicode escape in U& string constant' } : { ok: true, value: decoded, end };
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * E'…': backslash escapes (\n \t …, octal \ooo and hex \xhh bytes, \uXXXX, \UXXXXXXXX; any other
 * \c is c). Octal and hex escapes are bytes, so the value is assembled as UTF-8 (the server
 * encoding) and must decode, as the server requires.
 */
function readEscapeString(sql: string, from: number): Lit {
  const bytes: number[] = [];
  const text = (t: string): void => void bytes.push(...Buffer.from(t, 'utf8'));
  let i = from;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'") {
      if (sql[i + 1] !== "'") return decodeUtf8(bytes, i + 1);
      text("'");
      i += 2;
    } else if (c === '\\') {
      const n = sql[i + 1];
      if (n === undefined) break;
      const octal = /^[0-7]{1,3}/.exec(sql.slice(i + 1, i + 4));
      const hex = /^x([0-9A-Fa-f]{1,2})/.exec(sql.slice(i + 1, i + 4));
      const uni = n === 'u' ? /^u([0-9A-Fa-f]{4})/.exec(sql.slice(i + 1, i + 6)) : n === 'U' ? /^U([0-9A-Fa-f]{8})/.exec(sql.slice(i + 1, i + 10)) : null;
      if (octal) {
        bytes.push(parseInt(octal[0], 8) & 0xff);
        i += 1 + octal[0].length;
      } else if (hex) {
        bytes.push(parseInt(hex[1]!, 16));
        i += 1 + hex[0].length;
      } else if (uni) {
        const cp = parseInt(uni[1]!, 16);
        if (!validCodePoint(cp)) return { ok: false, reason: 'invalid Unicode escape in E string constant' };
        text(String.fromCodePoint(cp));
        i += 1 + uni[0].length;
      } else {
        text(SIMPLE_ESCAPES[n] ?? n);
        i += 2;
      }
    } else {
      const cp = sql.codePointAt(i)!;
      text(String.fromCodePoint(cp));
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return { ok: false, reason: 'unterminated E string constant' };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: number[], end: number): Lit {
  if (bytes.includes(0)) return { ok: false, reason: 'a zero byte in an E string constant' };
  try {
    return { ok: true, value: utf8.decode(Uint8Array.from(bytes)), end };
  } catch {
    return { ok: false, reason: 'E string constant is not valid UTF-8' };
  }
}

/** Surrogates and zero cannot be escaped into a PostgreSQL string. */
const validCodePoint = (cp: number): boolean => cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);

function decodeUnicodeEscapes(text: string, escape: string): string | null {
  if (/[0-9A-Fa-f+'"\s]/.test(escape)) return null;
  let out = '';
  for (let i = 0; i < text.length; ) {
    if (text[i] !== escape) {
      out += text[i++];
    } else if (text[i + 1] === escape) {
      out += escape;
      i += 2;
    } else {
      const m = /^(?:\+([0-9A-Fa-f]{6})|([0-9A-Fa-f]{4}))/.exec(text.slice(i + 1, i + 8));
      if (!m) return null;
      const cp = parseInt(m[1] ?? m[2]!, 16);
      if (!validCodePoint(cp)) return null;
      out += String.fromCodePoint(cp);
      i += 1 + m[0].length;
    }
  }
  return out;
}
