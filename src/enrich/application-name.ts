// Follows a session's application_name through its audited rows, for prefixes without %a (the
// README's "ApplicationName and ConnectApplicationName" section states the rules). Measured on
// PostgreSQL 15 + pgAudit 1.7 (jsonlog's application_name on each line):
// - pgAudit logs a utility statement after it ran: the row of SET/RESET/DISCARD ALL already
//   carries the new name; a failed SET has no AUDIT row (only an ERROR) and changes nothing;
// - a SELECT is logged before it runs (with pgaudit.log_rows, when it ends): the set_config row
//   carries the old name, or the new one when the row has Rows;
// - COMMIT/ROLLBACK/ROLLBACK TO rows carry the name before the transaction ended, and an ERROR
//   inside a transaction block undoes the block's (or the savepoint's) settings at once: the row
//   after it has the older name. pgAudit logs BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE (class
//   MISC) but not the ROLLBACK that ends an aborted block;
// - PostgreSQL cuts the name to 63 bytes (at a character boundary), then writes every byte
//   outside printable ASCII as '?'.
// The state is immutable (replaced, never changed in place), so a session table snapshot can
// share it.
import { hash } from 'node:crypto';
import { classifyQueryString, NO_EFFECT, type ClassifiedStatement, type StatementEffect } from '../parse/session-statement.js';

/** The name's state at BEGIN (savepoint null) or at a SAVEPOINT, restored by ROLLBACK [TO]. */
export interface NameFrame {
  readonly savepoint: string | null;
  readonly session: string | null;
  readonly current: string | null;
}

/** A multi-statement query string being executed: which of its statements the entries have reached. */
export interface QueryRun {
  /** The string's length and SHA-256 (hex): the text itself could be 64 KiB per session. */
  readonly length: number;
  readonly digest: string;
  /** Its statements with a followed command tag, in order. */
  readonly statements: readonly ClassifiedStatement[];
  /** Per command tag: entries seen (n) and the statement id of the last one. */
  readonly counts: Readonly<Record<string, { readonly n: number; readonly id: number }>>;
}

export interface NameTracking {
  /** The session-level value, what a COMMIT keeps (the row's name differs after SET LOCAL). */
  readonly session: string | null;
  /** A transaction block whose BEGIN was audited: its frames (BEGIN first, then each SAVEPOINT). */
  readonly block: readonly NameFrame[] | null;
  readonly run: QueryRun | null;
}

/** What the tracker reads and writes on a session (sessions.ts). */
export interface NamedSession {
  applicationName: string | null;
  connectApplicationName: string | null;
  names: NameTracking;
}

/** An audited row as the tracker needs it; statement is null when pgAudit did not log it. */
export interface AuditFacts {
  readonly statementId: number;
  readonly substatementId: number;
  readonly command: string | null;
  readonly statement: string | null;
  readonly rows: number | null;
}

/** A change of the session's name, applied before building the row ('row') or after it ('next'). */
export interface NameChange {
  readonly at: 'row' | 'next';
  readonly current: string | null;
  readonly names: NameTracking;
}

/** Longer query strings are not read for name changes (each of their entries would parse them again). */
export const MAX_FOLLOWED_STATEMENT_CHARS = 65_536;
const NAMEDATALEN = 64;

const FOLLOWED_COMMANDS = new Set(['SET', 'RESET', 'DISCARD ALL', 'BEGIN', 'START TRANSACTION', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'PREPARE TRANSACTION', 'SELECT']);
const BLOCK_COMMANDS = new Set(['ROLLBACK', 'SAVEPOINT', 'RELEASE']);
const SET_CONFIG = /set_config/i;

export const initialTracking = (name: string | null): NameTracking => ({ session: name, block: null, run: null });

/** The value PostgreSQL 15 stores for application_name: cut to 63 bytes, non-printable-ASCII bytes as '?'. */
export function effectiveName(value: string): string | null {
  let bytes = Buffer.from(value, 'utf8');
  if (bytes.length >= NAMEDATALEN) {
    let end = NAMEDATALEN - 1;
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
    bytes = bytes.subarray(0, end);
  }
  let out = '';
  for (const b of bytes) out += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '?';
  return out === '' ? null : out;
}

export function followConnect(s: NamedSession, name: string | null): void {
  s.connectApplicationName = name;
  s.applicationName = name;
  s.names = initialTracking(name);
}

export function applyNameChange(s: NamedSession, change: NameChange | null): void {
  if (!change) return;
  s.applicationName = change.current;
  s.names = change.names;
}

/** Statements were lost (a GAP): whatever they did to the transaction is unknown, so stop following it. */
export function loseTrack(s: NamedSession): void {
  applyNameChange(s, { at: 'row', current: s.names.session, names: initialTracking(s.names.session) });
}

/** An ERROR row: inside a known block it undid the innermost savepoint's (or the block's) settings. */
export function errorNameChange(s: NamedSession): NameChange | null {
  const { block } = s.names;
  if (!block) return s.names.run ? { at: 'next', current: s.applicationName, names: { ...s.names, run: null } } : null;
  const top = block[block.length - 1]!;
  // Without a savepoint the block can only end in a ROLLBACK, which pgAudit does not log.
  return { at: 'next', current: top.current, names: { session: top.session, block: block.length > 1 ? block : null, run: null } };
}

/** The change an AUDIT row makes, or null when it makes none. */
export function auditNameChange(s: NamedSession, e: AuditFacts): NameChange | null {
  let names = s.names;
  const topLevel = e.substatementId <= 1;
  if (names.run && topLevel && !sameText(names.run, e.statement)) names = { ...names, run: null };
  const command = e.command ?? '';
  if (!FOLLOWED_COMMANDS.has(command) || (command === 'SELECT' && !(e.statement !== null && SET_CONFIG.test(e.statement)))) {
    return names === s.names ? null : { at: 'row', current: s.applicationName, names };
  }
  const { effect, run } = identify(names.run, e, command, topLevel);
  return applyEffect(s, { ...names, run }, effect, command, e.rows !== null);
}

const unknown = (reason: string): StatementEffect => ({ kind: 'unknown', reason });

// BEGIN, COMMIT and ROLLBACK alone are most of the transaction rows (one per transaction of an
// application): read without the tokenizer.
const PLAIN_TRANSACTION = /^\s*(begin|start|commit|end|rollback|abort)(?:\s+(?:work|transaction))?\s*;?\s*$/i;
const APPLICATION_NAME = /application_name/i;
const RESET_ALL = /\ball\b/i;
const PLAIN_EFFECTS: Readonly<Record<string, ClassifiedStatement>> = {
  begin: { tag: 'BEGIN', effect: { kind: 'begin' } },
  start: { tag: 'START TRANSACTION', effect: { kind: 'begin' } },
  commit: { tag: 'COMMIT', effect: { kind: 'commit', chain: false } },
  end: { tag: 'COMMIT', effect: { kind: 'commit', chain: false } },
  rollback: { tag: 'ROLLBACK', effect: { kind: 'rollback', chain: false } },
  abort: { tag: 'ROLLBACK', effect: { kind: 'rollback', chain: false } },
};

const sameText = (run: QueryRun, text: string | null): boolean => text !== null && text.length === run.length && hash('sha256', text) === run.digest;

/**
 * The statement an entry is about. pgAudit before 17 logs the whole query string in each entry;
 * the command tag picks the statement when the string has one of that tag. With several, the
 * entries come in statement order, one per statement: the n-th entry of a tag is the n-th
 * statement (again from the first when the same string runs once more). Not for SELECTs (one
 * touching only catalog relations may not be logged), substatements, or strings that set
 * pgaudit.* (which can stop the logging of later statements).
 */
function identify(run: QueryRun | null, e: AuditFacts, command: string, topLevel: boolean): { effect: StatementEffect; run: QueryRun | null } {
  if (e.statement === null) return { effect: unknown('statement not logged'), run };
  if (e.statement.length > MAX_FOLLOWED_STATEMENT_CHARS) return { effect: unknown('statement too long to follow'), run };
  const plain = PLAIN_EFFECTS[PLAIN_TRANSACTION.exec(e.statement)?.[1]!.toLowerCase() ?? ''];
  if (plain?.tag === command) return { effect: plain.effect, run };
  // One SET or RESET that does not name application_name changes nothing (most SET rows: a driver's settings).
  const single = !e.statement.includes(';');
  if (single && (command === 'SET' || (command === 'RESET' && !RESET_ALL.test(e.statement))) && !APPLICATION_NAME.test(e.statement)) return { effect: NO_EFFECT, run };
  // auditNameChange already ended the run at a top-level entry of another text.
  const current = run && (topLevel || sameText(run, e.statement)) ? run : null;
  let statements: readonly ClassifiedStatement[];
  if (current) statements = current.statements;
  else {
    const parsed = classifyQueryString(e.statement);
    if (!parsed.ok) return { effect: unknown(parsed.reason), run };
    statements = parsed.statements.filter((st) => FOLLOWED_COMMANDS.has(st.tag) || st.setsPgAudit);
  }
  const candidates = statements.filter((st) => st.tag === command);
  if (candidates.length === 0) return { effect: unknown(`no ${command} statement in the logged text`), run };
  if (candidates.length === 1) return { effect: candidates[0]!.effect, run };
  if (!topLevel || command === 'SELECT' || statements.some((st) => st.setsPgAudit)) {
    return { effect: unknown(`several ${command} statements in one query string`), run };
  }
  const base = current ?? { length: e.statement.length, digest: hash('sha256', e.statement), statements, counts: {} };
  const last = base.counts[command];
  const n = last?.id === e.statementId ? last.n : (last?.n ?? 0) + 1;
  return { effect: candidates[(n - 1) % candidates.length]!.effect, run: { ...base, counts: { ...base.counts, [command]: { n, id: e.statementId } } } };
}

function applyEffect(s: NamedSession, names: NameTracking, effect: StatementEffect, command: string, hasRows: boolean): NameChange {
  const { session, block } = names;
  const current = s.applicationName;
  const same: NameChange = { at: 'row', current, names };
  const to = (at: NameChange['at'], next: Partial<NameTracking> & { current: string | null }): NameChange => {
    const { current: c, ...rest } = next;
    return { at, current: c, names: { ...names, ...rest } };
  };
  const lost = (): NameChange => to('next', { current: session, block: null });
  switch (effect.kind) {
    case 'set':
    case 'reset': {
      // A SELECT is logged when it starts unless log_rows makes pgAudit log it at its end.
      const at = command === 'SELECT' && !hasRows ? 'next' : 'row';
      const value = effect.kind === 'set' ? effectiveName(effect.value) : s.connectApplicationName;
      // SET LOCAL lasts until the transaction ends: followed only when the audited rows show that end.
      if (effect.local) return block ? to(at, { current: value }) : same;
      return to(at, { current: value, session: value });
    }
    case 'begin':
      // A fresh block even if one seemed open: an earlier block's end may not have been logged.
      return to('row', { current: session, block: [{ savepoint: null, session, current: session }] });
    case 'commit':
      if (!block) return same;
      return to('next', { current: session, block: effect.chain ? [{ savepoint: null, session, current: session }] : null });
    case 'rollback': {
      if (!block) return same;
      const begin = block[0]!;
      return to('next', { current: begin.current, session: begin.session, block: effect.chain ? [begin] : null });
    }
    case 'rollback-to': {
      const i = savepointIndex(block, effect.savepoint);
      if (!block) return same;
      if (i < 0) return lost();
      return to('next', { current: block[i]!.current, session: block[i]!.session, block: block.slice(0, i + 1) });
    }
    case 'savepoint':
      return block ? to('row', { current, block: [...block, { savepoint: effect.name, session, current }] }) : same;
    case 'release': {
      const i = savepointIndex(block, effect.savepoint);
      if (!block) return same;
      return i < 0 ? lost() : to('row', { current, block: block.slice(0, i) });
    }
    case 'unknown':
      return block && BLOCK_COMMANDS.has(command) ? lost() : same;
    case 'none':
      return same;
  }
}

/** The most recent savepoint of that name (frame index ≥ 1), or -1. */
function savepointIndex(block: readonly NameFrame[] | null, name: string): number {
  if (!block) return -1;
  for (let i = block.length - 1; i >= 1; i--) if (block[i]!.savepoint === name) return i;
  return -1;
}
