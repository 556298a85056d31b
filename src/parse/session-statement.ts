// What one SQL statement does to application_name and to the transaction it runs in, read from
// its text (sql-tokens.ts) the way PostgreSQL 15's grammar (gram.y) reads it. Only the forms
// that can change the name or end a transaction are understood; every result carries the command
// tag pgAudit prints for the statement (COMMAND column), so an entry of a multi-statement query
// string can be matched with its statement. Never throws on ordinary input.
import { splitStatements, tokenize, type SqlToken } from './sql-tokens.js';

/** What a statement does, for following application_name. */
export type StatementEffect =
  | { readonly kind: 'none' } // does not touch application_name or the transaction
  | { readonly kind: 'set'; readonly value: string; readonly local: boolean }
  | { readonly kind: 'reset'; readonly local: boolean } // back to the value the session started with
  | { readonly kind: 'begin' }
  | { readonly kind: 'commit'; readonly chain: boolean }
  | { readonly kind: 'rollback'; readonly chain: boolean }
  | { readonly kind: 'rollback-to'; readonly savepoint: string }
  | { readonly kind: 'savepoint'; readonly name: string }
  | { readonly kind: 'release'; readonly savepoint: string }
  | { readonly kind: 'unknown'; readonly reason: string }; // a relevant statement in a form this reader does not understand

export interface ClassifiedStatement {
  /** The command tag pgAudit prints (SET, RESET, DISCARD ALL, BEGIN, COMMIT, ROLLBACK, SELECT, …). */
  readonly tag: string;
  readonly effect: StatementEffect;
  /** SET/RESET of a pgaudit.* setting: it can switch pgAudit's logging off for what follows. */
  readonly setsPgAudit?: true;
}

export type QueryStringResult = { readonly ok: true; readonly statements: readonly ClassifiedStatement[] } | { readonly ok: false; readonly reason: string };

export const NO_EFFECT: StatementEffect = { kind: 'none' };
const NONE = NO_EFFECT;
const unknown = (reason: string): StatementEffect => ({ kind: 'unknown', reason });

// Applications send the same few statements again and again (a driver's SETs, an ORM's
// SAVEPOINTs): short texts keep their result. The results are immutable.
const MEMO_TEXT_CHARS = 1024;
const MEMO_ENTRIES = 4096;
const memo = new Map<string, QueryStringResult>();

/** Classifies every statement of a query string (pgAudit before 17 logs the whole string in each entry). */
export function classifyQueryString(sql: string): QueryStringResult {
  if (sql.length > MEMO_TEXT_CHARS) return classifyText(sql);
  let result = memo.get(sql);
  if (!result) {
    if (memo.size >= MEMO_ENTRIES) memo.clear();
    result = classifyText(sql);
    memo.set(sql, result);
  }
  return result;
}

function classifyText(sql: string): QueryStringResult {
  const t = tokenize(sql);
  if (!t.ok) return t;
  for (let i = 0; i + 1 < t.tokens.length; i++) {
    // SQL-standard function bodies hold semicolons of their own: the string cannot be split here.
    if (isWord(t.tokens[i], 'begin') && isWord(t.tokens[i + 1], 'atomic')) return { ok: false, reason: 'BEGIN ATOMIC body' };
  }
  return { ok: true, statements: splitStatements(t.tokens).map(classifyStatement) };
}

export function classifyStatement(tokens: readonly SqlToken[]): ClassifiedStatement {
  const r = new Reader(tokens);
  const first = r.word();
  switch (first) {
    case 'set':
      return r.isWord('constraints') ? { tag: 'SET CONSTRAINTS', effect: NONE } : readSet(r);
    case 'reset':
      return readReset(r);
    case 'discard': {
      const what = r.word();
      return { tag: `DISCARD ${what === 'temporary' ? 'TEMP' : (what ?? '').toUpperCase()}`, effect: what === 'all' && r.done() ? { kind: 'reset', local: false } : NONE };
    }
    case 'begin':
    case 'start':
      return { tag: first === 'begin' ? 'BEGIN' : 'START TRANSACTION', effect: { kind: 'begin' } };
    case 'commit':
    case 'end':
      return r.isWord('prepared') ? { tag: 'COMMIT PREPARED', effect: NONE } : { tag: 'COMMIT', effect: readEnd(r, 'commit') };
    case 'rollback':
    case 'abort':
      return r.isWord('prepared') ? { tag: 'ROLLBACK PREPARED', effect: NONE } : { tag: 'ROLLBACK', effect: readEnd(r, 'rollback') };
    case 'savepoint': {
      const name = r.name();
      return { tag: 'SAVEPOINT', effect: name !== null && r.done() ? { kind: 'savepoint', name } : unknown('SAVEPOINT without a name') };
    }
    case 'release': {
      r.skipWord('savepoint');
      const savepoint = r.name();
      return { tag: 'RELEASE', effect: savepoint !== null && r.done() ? { kind: 'release', savepoint } : unknown('RELEASE without a savepoint name') };
    }
    case 'prepare':
      // PREPARE TRANSACTION ends the block and keeps session-level settings as COMMIT does (xact.c; not measured here).
      return r.isWord('transaction') ? { tag: 'PREPARE TRANSACTION', effect: { kind: 'commit', chain: false } } : { tag: 'PREPARE', effect: NONE };
    case 'select':
      return { tag: 'SELECT', effect: readSetConfig(tokens) };
    default:
      return { tag: (first ?? '').toUpperCase(), effect: NONE };
  }
}

/** SET [SESSION | LOCAL] name {TO | =} {value | DEFAULT} | SET name FROM CURRENT | SET TIME ZONE … | SET ROLE … */
function readSet(r: Reader): ClassifiedStatement {
  let local = false;
  if (r.isWord('local')) local = r.skip();
  else if (r.isWord('session') && !r.isWord('authorization', 1) && !r.isWord('characteristics', 1)) r.skip();
  const name = r.settingName();
  if (name === null) return { tag: 'SET', effect: NONE }; // SET TIME ZONE, ROLE, SESSION AUTHORIZATION, TRANSACTION, …
  const setsPgAudit = name.startsWith('pgaudit.') ? ({ setsPgAudit: true } as const) : {};
  if (name !== 'application_name') return { tag: 'SET', effect: NONE, ...setsPgAudit };
  if (r.isWord('from')) return { tag: 'SET', effect: NONE }; // FROM CURRENT: the value stays
  if (!r.isOp('=') && !r.isWord('to')) return { tag: 'SET', effect: unknown('SET application_name without TO or =') };
  r.skip();
  if (r.isWord('default') && r.done(1)) return { tag: 'SET', effect: { kind: 'reset', local } };
  const value = r.value();
  if (value === null || !r.done()) return { tag: 'SET', effect: unknown('SET application_name with a value that is not one constant') };
  return { tag: 'SET', effect: { kind: 'set', value, local } };
}

/** RESET name | RESET ALL | RESET TIME ZONE | RESET SESSION AUTHORIZATION | … */
function readReset(r: Reader): ClassifiedStatement {
  if (r.isWord('all') && r.done(1)) return { tag: 'RESET', effect: { kind: 'reset', local: false } };
  const name = r.settingName();
  if (name === 'application_name' && r.done()) return { tag: 'RESET', effect: { kind: 'reset', local: false } };
  return { tag: 'RESET', effect: NONE, ...(name?.startsWith('pgaudit.') ? { setsPgAudit: true as const } : {}) };
}

/** COMMIT/END/ROLLBACK/ABORT [WORK | TRANSACTION] [TO [SAVEPOINT] name] [AND [NO] CHAIN] */
function readEnd(r: Reader, kind: 'commit' | 'rollback'): StatementEffect {
  if (!r.skipWord('work')) r.skipWord('transaction');
  if (kind === 'rollback' && r.skipWord('to')) {
    r.skipWord('savepoint');
    const savepoint = r.name();
    return savepoint !== null && r.done() ? { kind: 'rollback-to', savepoint } : unknown('ROLLBACK TO without a savepoint name');
  }
  let chain = false;
  if (r.skipWord('and')) {
    chain = !r.skipWord('no');
    if (!r.skipWord('chain')) return unknown(`${kind.toUpperCase()} AND without CHAIN`);
  }
  return r.done() ? { kind, chain } : unknown(`${kind.toUpperCase()} in a form not understood`);
}

const TRUE_TEXT = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_TEXT = new Set(['f', 'false', 'n', 'no', 'off', '0']);

/**
 * SELECT [pg_catalog.]set_config('application_name', value | NULL, is_local) [[AS] alias]: the
 * one form whose effect the statement shows (a NULL value resets). Other SELECTs naming
 * set_config are unknown; SELECTs without it change nothing.
 */
function readSetConfig(tokens: readonly SqlToken[]): StatementEffect {
  if (!tokens.some((t) => t.kind === 'word' && t.value === 'set_config')) return NONE;
  const r = new Reader(tokens, 1);
  if (r.isWord('pg_catalog') && r.isOp('.', 1)) r.skip(2);
  if (!r.isWord('set_config') || !r.isOp('(', 1)) return unknown('set_config inside a larger expression');
  r.skip(2);
  const name = r.stringConstant();
  if (name === null || !r.skipOp(',')) return unknown('set_config with a setting name that is not a constant');
  if (name.toLowerCase() !== 'application_name') return NONE;
  let value: string | null = null;
  if (!r.skipWord('null')) {
    value = r.stringConstant();
    if (value === null) return unknown('set_config with a value that is not a constant');
  }
  if (!r.skipOp(',')) return unknown('set_config with a value that is not a constant');
  const flag = r.peek();
  r.skip();
  const local = flag?.kind === 'word' ? (flag.value === 'true' ? true : flag.value === 'false' ? false : null) : flag?.kind === 'string' ? boolText(flag.value) : null;
  if (local === null || !r.skipOp(')')) return unknown('set_config with is_local that is not a constant');
  if (r.skipWord('as')) r.name();
  else if (r.peek()?.kind === 'word' || r.peek()?.kind === 'ident') r.skip();
  if (!r.done()) return unknown('set_config inside a larger statement');
  return value === null ? { kind: 'reset', local } : { kind: 'set', value, local };
}

function boolText(text: string): boolean | null {
  const t = text.trim().toLowerCase();
  return TRUE_TEXT.has(t) ? true : FALSE_TEXT.has(t) ? false : null;
}

const isWord = (t: SqlToken | undefined, value: string): boolean => t?.kind === 'word' && t.value === value;

const INT32_MAX = 2 ** 31 - 1;
/** SET TIME ZONE, SET ROLE, SET SESSION AUTHORIZATION, SET TRANSACTION, … name no setting. */
const SET_FORMS = new Set(['time', 'role', 'session', 'transaction', 'names', 'schema', 'xml']);

/** A cursor over one statement's tokens. */
class Reader {
  constructor(
    private readonly tokens: readonly SqlToken[],
    private at = 0,
  ) {}

  peek(ahead = 0): SqlToken | undefined {
    return this.tokens[this.at + ahead];
  }
  skip(n = 1): true {
    this.at += n;
    return true;
  }
  done(ahead = 0): boolean {
    return this.at + ahead >= this.tokens.length;
  }
  isWord(value: string, ahead = 0): boolean {
    return isWord(this.peek(ahead), value);
  }
  isOp(value: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t?.kind === 'op' && t.value === value;
  }
  skipWord(value: string): boolean {
    return this.isWord(value) && this.skip();
  }
  skipOp(value: string): boolean {
    return this.isOp(value) && this.skip();
  }
  /** A bare word (lower-cased), consumed; null at anything else. */
  word(): string | null {
    const t = this.peek();
    return t?.kind === 'word' ? (this.skip(), t.value) : null;
  }
  /** An identifier: a bare word or a "quoted" one. */
  name(): string | null {
    const t = this.peek();
    return t?.kind === 'word' || t?.kind === 'ident' ? (this.skip(), t.value) : null;
  }
  /** A setting name (a.b for extension settings), lower-cased: GUC names are case-insensitive. */
  settingName(): string | null {
    const t = this.peek();
    if (t?.kind !== 'word' && t?.kind !== 'ident') return null;
    if (t.kind === 'word' && SET_FORMS.has(t.value)) return null;
    this.skip();
    let name = t.value;
    while (this.isOp('.') && (this.peek(1)?.kind === 'word' || this.peek(1)?.kind === 'ident')) {
      name += `.${this.peek(1)!.value}`;
      this.skip(2);
    }
    return name.toLowerCase();
  }
  stringConstant(): string | null {
    const t = this.peek();
    return t?.kind === 'string' ? (this.skip(), t.value) : null;
  }
  /** var_value: a string, an identifier (bare words lower-cased), or a signed number as PostgreSQL prints it. */
  value(): string | null {
    const t = this.peek();
    if (t?.kind === 'string' || t?.kind === 'ident' || t?.kind === 'word') return this.skip() && t.value;
    const sign = this.isOp('-') || this.isOp('+') ? (this.peek() as { value: string }).value : '';
    const n = this.peek(sign ? 1 : 0);
    if (n?.kind !== 'number') return null;
    this.skip(sign ? 2 : 1);
    // An integer constant is stored as a number (007 prints 7); a larger one or a decimal keeps its text.
    const negative = sign === '-' ? '-' : '';
    if (/^\d+$/.test(n.value) && Number(n.value) <= INT32_MAX) return `${negative}${Number(n.value)}`;
    return `${negative}${n.value}`;
  }
}
