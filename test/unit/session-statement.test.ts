// The SET / set_config / transaction-control reader and PostgreSQL's storing of application_name.
// Expected names are what a real PostgreSQL 15 + pgAudit 1.7 reported in jsonlog's
// application_name after running each statement (measured while building issue 14).
import { describe, expect, it } from 'vitest';
import { effectiveName } from '../../src/enrich/application-name.js';
import { classifyQueryString, type StatementEffect } from '../../src/parse/session-statement.js';
import { tokenize } from '../../src/parse/sql-tokens.js';

interface Case {
  readonly sql: string;
  readonly tag: string;
  readonly effect: StatementEffect | 'unknown';
  /** jsonlog's application_name after the statement, where the server ran it. */
  readonly server?: string | null;
}

const set = (value: string, local = false): StatementEffect => ({ kind: 'set', value, local });
const reset = (local = false): StatementEffect => ({ kind: 'reset', local });
const none: StatementEffect = { kind: 'none' };

const CASES: readonly Case[] = [
  { sql: "SET application_name = 'a1'", tag: 'SET', effect: set('a1'), server: 'a1' },
  { sql: "SET SESSION application_name TO 'a2'", tag: 'SET', effect: set('a2'), server: 'a2' },
  { sql: "SET LOCAL application_name = 'loc'", tag: 'SET', effect: set('loc', true), server: 'loc' },
  { sql: 'SET application_name TO DEFAULT', tag: 'SET', effect: reset() },
  { sql: 'SET LOCAL application_name = DEFAULT', tag: 'SET', effect: reset(true) },
  { sql: 'RESET application_name', tag: 'RESET', effect: reset() },
  { sql: 'RESET ALL', tag: 'RESET', effect: reset() },
  { sql: 'DISCARD ALL', tag: 'DISCARD ALL', effect: reset() },
  { sql: 'DISCARD PLANS', tag: 'DISCARD PLANS', effect: none },
  { sql: "SET application_name = E'tab\\there'", tag: 'SET', effect: set('tab\there'), server: 'tab?here' },
  { sql: "SET application_name = E'\\x41\\101\\u00e9\\\\'", tag: 'SET', effect: set('AAé\\'), server: 'AA??\\' },
  { sql: "SET application_name = E'\\303\\251t\\'e'", tag: 'SET', effect: set("ét'e") },
  { sql: `SET application_name = 'a, "q" it''s'`, tag: 'SET', effect: set(`a, "q" it's`), server: `a, "q" it's` },
  { sql: 'SET application_name = "Quoted"', tag: 'SET', effect: set('Quoted'), server: 'Quoted' },
  { sql: 'SET "application_name" TO "Mixed Case"', tag: 'SET', effect: set('Mixed Case'), server: 'Mixed Case' },
  { sql: "SET Application_Name = 'ci'", tag: 'SET', effect: set('ci'), server: 'ci' },
  { sql: 'SET application_name = BareWord', tag: 'SET', effect: set('bareword'), server: 'bareword' },
  { sql: 'SET application_name = on', tag: 'SET', effect: set('on'), server: 'on' },
  { sql: 'set application_name = 12', tag: 'SET', effect: set('12'), server: '12' },
  { sql: 'SET application_name = 007', tag: 'SET', effect: set('7'), server: '7' },
  { sql: 'SET application_name = 1.50', tag: 'SET', effect: set('1.50'), server: '1.50' },
  { sql: 'SET application_name = -3', tag: 'SET', effect: set('-3'), server: '-3' },
  { sql: "SET /* c /* nested */ */ application_name -- x\n = 'cm'", tag: 'SET', effect: set('cm'), server: 'cm' },
  { sql: "SET application_name = 'multi'\n'line'", tag: 'SET', effect: set('multiline'), server: 'multiline' },
  { sql: 'SET application_name = $$dollar$$', tag: 'SET', effect: set('dollar'), server: 'dollar' },
  { sql: 'SET application_name = $t$a;b$t$', tag: 'SET', effect: set('a;b') },
  { sql: "SET application_name = U&'d\\0061t\\+000061' UESCAPE '\\'", tag: 'SET', effect: set('data'), server: 'data' },
  { sql: "SET application_name = U&'d!0061t' UESCAPE '!'", tag: 'SET', effect: set('dat'), server: 'dat' },
  { sql: "SET application_name = 'x' ;", tag: 'SET', effect: set('x'), server: 'x' },
  { sql: 'SET application_name FROM CURRENT', tag: 'SET', effect: none },
  { sql: "SET statement_timeout = '5s'", tag: 'SET', effect: none },
  { sql: 'SET SESSION AUTHORIZATION DEFAULT', tag: 'SET', effect: none },
  { sql: "SET TIME ZONE 'UTC'", tag: 'SET', effect: none },
  { sql: 'SET ROLE auditor', tag: 'SET', effect: none },
  { sql: 'SET CONSTRAINTS ALL DEFERRED', tag: 'SET CONSTRAINTS', effect: none },
  { sql: 'RESET statement_timeout', tag: 'RESET', effect: none },
  { sql: "SET application_name = 'a', 'b'", tag: 'SET', effect: 'unknown' },
  { sql: 'SET application_name = $1', tag: 'SET', effect: 'unknown' },
  { sql: "SELECT set_config('application_name','sc', false)", tag: 'SELECT', effect: set('sc'), server: 'sc' },
  { sql: "select SET_CONFIG( 'application_name' , 'sc2' , 'false' ) AS v", tag: 'SELECT', effect: set('sc2'), server: 'sc2' },
  { sql: "SELECT pg_catalog.set_config('application_name', 'sc3', false)", tag: 'SELECT', effect: set('sc3'), server: 'sc3' },
  { sql: "SELECT set_config('Application_Name', 'y', true) v", tag: 'SELECT', effect: set('y', true) },
  { sql: "SELECT set_config('application_name', NULL, false)", tag: 'SELECT', effect: reset() },
  { sql: "SELECT set_config('search_path', 'x', false)", tag: 'SELECT', effect: none },
  { sql: "SELECT set_config('application_name', $1, false)", tag: 'SELECT', effect: 'unknown' },
  { sql: "SELECT 1, set_config('application_name', 'x', false)", tag: 'SELECT', effect: 'unknown' },
  { sql: "SELECT set_config('application_name', 'x', false) FROM t", tag: 'SELECT', effect: 'unknown' },
  { sql: 'SELECT 1', tag: 'SELECT', effect: none },
  { sql: 'BEGIN', tag: 'BEGIN', effect: { kind: 'begin' } },
  { sql: 'START TRANSACTION ISOLATION LEVEL SERIALIZABLE', tag: 'START TRANSACTION', effect: { kind: 'begin' } },
  { sql: 'COMMIT', tag: 'COMMIT', effect: { kind: 'commit', chain: false } },
  { sql: 'END WORK', tag: 'COMMIT', effect: { kind: 'commit', chain: false } },
  { sql: 'COMMIT AND CHAIN', tag: 'COMMIT', effect: { kind: 'commit', chain: true } },
  { sql: 'COMMIT AND NO CHAIN', tag: 'COMMIT', effect: { kind: 'commit', chain: false } },
  { sql: 'ROLLBACK', tag: 'ROLLBACK', effect: { kind: 'rollback', chain: false } },
  { sql: 'ABORT TRANSACTION', tag: 'ROLLBACK', effect: { kind: 'rollback', chain: false } },
  { sql: 'ROLLBACK TO sp', tag: 'ROLLBACK', effect: { kind: 'rollback-to', savepoint: 'sp' } },
  { sql: 'ROLLBACK WORK TO SAVEPOINT "Sp"', tag: 'ROLLBACK', effect: { kind: 'rollback-to', savepoint: 'Sp' } },
  { sql: 'SAVEPOINT Sp2', tag: 'SAVEPOINT', effect: { kind: 'savepoint', name: 'sp2' } },
  { sql: 'RELEASE SAVEPOINT sp2', tag: 'RELEASE', effect: { kind: 'release', savepoint: 'sp2' } },
  { sql: 'RELEASE sp2', tag: 'RELEASE', effect: { kind: 'release', savepoint: 'sp2' } },
  { sql: "COMMIT PREPARED 'tx'", tag: 'COMMIT PREPARED', effect: none },
  { sql: "PREPARE TRANSACTION 'tx'", tag: 'PREPARE TRANSACTION', effect: { kind: 'commit', chain: false } },
];

describe('classifyQueryString: one statement', () => {
  it.each(CASES)('$sql', ({ sql, tag, effect, server }) => {
    const r = classifyQueryString(sql);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.statements.map((s) => s.tag)).toEqual([tag]);
    const got = r.statements[0]!.effect;
    if (effect === 'unknown') expect(got.kind).toBe('unknown');
    else expect(got).toEqual(effect);
    if (server !== undefined && got.kind === 'set') expect(effectiveName(got.value)).toBe(server);
  });
});

describe('classifyQueryString: query strings', () => {
  it.each([
    { sql: "SET statement_timeout = '5s'; SET application_name = 'm2'; SELECT 7", tags: ['SET', 'SET', 'SELECT'] },
    { sql: "BEGIN; SET application_name='ib'; COMMIT; SELECT ';' AS \"a;b\" -- ;\n", tags: ['BEGIN', 'SET', 'COMMIT', 'SELECT'] },
    { sql: 'DO $$BEGIN SET application_name = $q$x$q$; END$$; ;; RESET ALL', tags: ['DO', 'RESET'] },
  ])('$sql', ({ sql, tags }) => {
    const r = classifyQueryString(sql);
    expect(r.ok && r.statements.map((s) => s.tag)).toEqual(tags);
  });

  it('marks statements that set pgaudit.* (they can switch the logging of later statements off)', () => {
    const r = classifyQueryString("SET pgaudit.log = 'none'; SET application_name = 'x'; RESET pgaudit.log");
    expect(r.ok && r.statements.map((s) => s.setsPgAudit ?? false)).toEqual([true, false, true]);
  });

  it.each([
    { sql: "SET application_name = 'open", reason: /unterminated string/ },
    { sql: "SET application_name = E'open\\'", reason: /unterminated E string/ },
    { sql: 'SET application_name = "open', reason: /unterminated quoted identifier/ },
    { sql: 'SET application_name = $$open', reason: /unterminated dollar/ },
    { sql: "SET /* open application_name = 'x'", reason: /unterminated \/\*/ },
    { sql: "SET application_name = E'\\377'", reason: /not valid UTF-8/ },
    { sql: "SET application_name = U&'\\D800'", reason: /invalid Unicode escape/ },
    { sql: 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END', reason: /BEGIN ATOMIC/ },
  ])('reports what it cannot read: $sql', ({ sql, reason }) => {
    const r = classifyQueryString(sql);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('never throws on arbitrary text', () => {
    const alphabet = ["'", '"', '$', 'E', 'U&', '\\', ';', '/*', '*/', '--', '\n', 'set ', 'application_name', '=', 'x', 'é', '0', '.'];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 2000; n++) {
      const text = Array.from({ length: next() % 12 }, () => alphabet[next() % alphabet.length]).join('');
      expect(() => classifyQueryString(text)).not.toThrow();
      expect(() => tokenize(text)).not.toThrow();
    }
  });
});

describe('effectiveName: what PostgreSQL 15 stores', () => {
  it.each([
    { name: 'non-ASCII bytes each become ?', value: 'bï-tööl', server: 'b??-t????l' },
    { name: 'control characters become ?', value: 'é\u0001x', server: '???x' },
    { name: 'cut to 63 bytes', value: '0123456789'.repeat(7), server: '0123456789'.repeat(6) + '012' },
    { name: 'cut at a character boundary, then cleaned', value: 'é'.repeat(40), server: '?'.repeat(62) },
    { name: 'a character that would cross byte 63 is dropped whole', value: 'x'.repeat(62) + 'é', server: 'x'.repeat(62) },
    { name: 'empty is no name', value: '', server: null },
  ])('$name', ({ value, server }) => {
    expect(effectiveName(value)).toBe(server);
  });
});
