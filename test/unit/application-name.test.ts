// ApplicationName through a session's audited rows, under the default %t-%c- prefix. Each
// scenario replays rows a real PostgreSQL 15 + pgAudit 1.7 session logged (same statements, same
// classes and commands); `pg` is the application_name jsonlog reported on that line. Where the
// pipeline cannot know it, `ours` is the documented rule's answer and `why` says which rule.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readSessions } from '../../src/state/documents.js';
import { nameSessionFields } from '../../src/enrich/application-name-schema.js';
import type { PipelineSnapshot } from '../../src/pipeline/audit-pipeline.js';
import { azureLine, defaultPrefix } from '../helpers/azure-record.js';
import { rowsOf } from '../helpers/run-pipeline.js';

type Expect = { readonly pg: string | null; readonly ours?: string | null; readonly why?: string };
type Step = Expect &
  ({ readonly audit: string; readonly sql: string; readonly sub?: number; readonly rows?: number } | { readonly error: string } | { readonly disconnect: true });

const S = '6a45d439.151407';
const csv = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const log = (level: string, message: string, extra: { sqlerrcode?: string } = {}): string =>
  azureLine({ message: `${defaultPrefix(S)}${level}:  ${message}`, errorLevel: level, ...extra });

function session(steps: readonly Step[], app: string | null = 'start', connected = true): string[] {
  const lines = connected
    ? [log('LOG', 'connection received: host=[local]'), log('LOG', `connection authorized: user=u database=postgres${app === null ? '' : ` application_name=${app}`}`)]
    : [];
  let id = 0;
  for (const step of steps) {
    if ('audit' in step) {
      if ((step.sub ?? 1) === 1) id++;
      const rows = step.rows === undefined ? '' : `,${step.rows}`;
      lines.push(log('LOG', `AUDIT: SESSION,${id},${step.sub ?? 1},${step.audit},,,${csv(step.sql)},<not logged>${rows}`));
    } else if ('error' in step) lines.push(log('ERROR', step.error, { sqlerrcode: '22012' }));
    else lines.push(log('LOG', 'disconnection: session time: 0:00:00.007 user=u database=postgres host=[local]'));
  }
  return lines;
}

const expected = (steps: readonly Expect[]): (string | null)[] => steps.map((s) => (s.ours !== undefined ? s.ours : s.pg));
const text = (lines: readonly string[]): string => lines.join('\n') + '\n';

async function names(steps: readonly Step[], app: string | null = 'start', connected = true) {
  const { rows, pipeline } = await rowsOf(text(session(steps, app, connected)));
  const kept = rows.filter((r) => r.EventType !== 'CONNECT' && r.EventType !== 'GAP');
  return { kept, rows, pipeline };
}

const SCENARIOS: readonly { name: string; steps: readonly Step[] }[] = [
  {
    name: 'SET, SET SESSION, TO DEFAULT, RESET, RESET ALL, DISCARD ALL (pgaudit.log = misc): the row of the SET already has the new name',
    steps: [
      { audit: 'MISC,SET', sql: "SET application_name = 'a1'", pg: 'a1' },
      { audit: 'MISC,SET', sql: "SET SESSION application_name TO 'a2'", pg: 'a2' },
      { audit: 'MISC,SET', sql: 'SET application_name TO DEFAULT', pg: 'start' },
      { audit: 'MISC,SET', sql: "SET application_name = 'a3'", pg: 'a3' },
      { audit: 'MISC,RESET', sql: 'RESET application_name', pg: 'start' },
      { audit: 'MISC,SET', sql: "SET application_name = 'a4'", pg: 'a4' },
      { audit: 'MISC,RESET', sql: 'RESET ALL', pg: 'start' },
      { audit: 'MISC,SET', sql: "SET application_name='a5'", pg: 'a5' },
      { audit: 'MISC,DISCARD ALL', sql: 'DISCARD ALL', pg: 'start' },
      { disconnect: true, pg: 'start' },
    ],
  },
  {
    name: 'SET LOCAL lasts until COMMIT; a SET rolled back returns; SET LOCAL outside a block is not followed',
    steps: [
      { audit: 'MISC,BEGIN', sql: 'BEGIN', pg: 'start' },
      { audit: 'MISC,SET', sql: "SET LOCAL application_name = 'loc'", pg: 'loc' },
      { audit: 'MISC,COMMIT', sql: 'COMMIT', pg: 'loc' },
      { audit: 'MISC,BEGIN', sql: 'BEGIN', pg: 'start' },
      { audit: 'MISC,SET', sql: "SET application_name = 'rb'", pg: 'rb' },
      { audit: 'MISC,ROLLBACK', sql: 'ROLLBACK', pg: 'rb' },
      { audit: 'MISC,SET', sql: "SET LOCAL application_name = 'outside'", pg: 'outside', ours: 'start', why: 'SET LOCAL outside an audited block' },
      { disconnect: true, pg: 'start' },
    ],
  },
  {
    name: 'pgaudit.log = misc_set: BEGIN/ROLLBACK/COMMIT are not audited, so neither the rollback nor SET LOCAL is followed',
    steps: [
      { audit: 'MISC,SET', sql: "SET application_name='z'", pg: 'z' },
      { audit: 'MISC,SET', sql: "SET LOCAL application_name='q'", pg: 'q', ours: 'z', why: 'the ROLLBACK before it was not audited; SET LOCAL outside an audited block' },
      { audit: 'MISC,SET', sql: "SET LOCAL application_name='q2'", pg: 'q2', ours: 'z', why: 'as above' },
      { disconnect: true, pg: 'start', ours: 'z', why: 'the ROLLBACK of z was not audited' },
    ],
  },
  {
    name: 'an ERROR inside a block undoes its SETs; a SET that fails has no AUDIT row; a failed multi-statement string is not seen',
    steps: [
      { audit: 'MISC,SET', sql: "SET application_name='x'; SET statement_timeout='abc'", pg: 'x' },
      { error: 'invalid value for parameter "statement_timeout": "abc"', pg: 'x' },
      { audit: 'READ,SELECT', sql: 'SELECT 1', pg: 'start', ours: 'x', why: 'an error ending a multi-statement string is not told apart from one of the next query' },
      { audit: 'MISC,SET', sql: "SET application_name = 'ok1'; SELECT 2", pg: 'ok1' },
      { audit: 'READ,SELECT', sql: "SET application_name = 'ok1'; SELECT 2", pg: 'ok1' },
      { error: 'SET application_name takes only one argument', pg: 'ok1' },
      { audit: 'MISC,BEGIN', sql: 'BEGIN', pg: 'ok1' },
      { audit: 'MISC,SET', sql: "SET application_name='y'", pg: 'y' },
      { error: 'division by zero', pg: 'y' },
      { error: 'current transaction is aborted, commands ignored until end of transaction block', pg: 'ok1' },
      { audit: 'READ,SELECT', sql: 'SELECT 3', pg: 'ok1' },
    ],
  },
  {
    name: 'savepoints: ROLLBACK TO, an ERROR inside a savepoint, RELEASE, END, ABORT',
    steps: [
      { audit: 'MISC,BEGIN', sql: 'BEGIN', pg: 'start' },
      { audit: 'MISC,SET', sql: "SET application_name='s1'", pg: 's1' },
      { audit: 'MISC,SAVEPOINT', sql: 'SAVEPOINT sp', pg: 's1' },
      { audit: 'MISC,SET', sql: "SET application_name='s2'", pg: 's2' },
      { audit: 'READ,SELECT', sql: 'SELECT 4', pg: 's2' },
      { audit: 'MISC,ROLLBACK', sql: 'ROLLBACK TO sp', pg: 's2' },
      { audit: 'READ,SELECT', sql: 'SELECT 5', pg: 's1' },
      { audit: 'MISC,SAVEPOINT', sql: 'SAVEPOINT sp2', pg: 's1' },
      { audit: 'MISC,SET', sql: "SET application_name='s3'", pg: 's3' },
      { error: 'division by zero', pg: 's3' },
      { error: 'current transaction is aborted, commands ignored until end of transaction block', pg: 's1' },
      { audit: 'READ,SELECT', sql: 'SELECT 7', pg: 's1' },
      { audit: 'MISC,RELEASE', sql: 'RELEASE sp2', pg: 's1' },
      { audit: 'MISC,COMMIT', sql: 'COMMIT', pg: 's1' },
      { audit: 'READ,SELECT', sql: 'SELECT 8', pg: 's1' },
      { audit: 'MISC,START TRANSACTION', sql: 'START TRANSACTION', pg: 's1' },
      { audit: 'MISC,SET', sql: "SET application_name='t1'", pg: 't1' },
      { audit: 'MISC,COMMIT', sql: 'END', pg: 't1' },
      { audit: 'MISC,BEGIN', sql: 'BEGIN', pg: 't1' },
      { audit: 'MISC,SET', sql: "SET application_name='t2'", pg: 't2' },
      { audit: 'MISC,ROLLBACK', sql: 'ABORT', pg: 't2' },
      { audit: 'READ,SELECT', sql: 'SELECT 10', pg: 't1' },
    ],
  },
  {
    name: 'multi-statement strings: each entry is matched with its statement by command tag and order',
    steps: [
      ...["BEGIN; SET application_name='ib'; COMMIT; SELECT 20"].flatMap((sql): Step[] => [
        { audit: 'MISC,BEGIN', sql, pg: 'start' },
        { audit: 'MISC,SET', sql, pg: 'ib' },
        { audit: 'MISC,COMMIT', sql, pg: 'ib' },
        { audit: 'READ,SELECT', sql, pg: 'ib' },
      ]),
      ...["BEGIN; SET application_name='ib2'; ROLLBACK; SELECT 22"].flatMap((sql): Step[] => [
        { audit: 'MISC,BEGIN', sql, pg: 'ib' },
        { audit: 'MISC,SET', sql, pg: 'ib2' },
        { audit: 'MISC,ROLLBACK', sql, pg: 'ib2' },
        { audit: 'READ,SELECT', sql, pg: 'ib' },
      ]),
      // The same string twice in a row: the count starts over.
      ...[1, 2].flatMap((): Step[] => [
        { audit: 'MISC,SET', sql: "SET application_name = 'c1'; SET application_name = 'c2'", pg: 'c1' },
        { audit: 'MISC,SET', sql: "SET application_name = 'c1'; SET application_name = 'c2'", pg: 'c2' },
      ]),
      { audit: 'MISC,SET', sql: "SET statement_timeout = '5s'; SET application_name = 'm2'; SELECT 7", pg: 'c2' },
      { audit: 'MISC,SET', sql: "SET statement_timeout = '5s'; SET application_name = 'm2'; SELECT 7", pg: 'm2' },
      { audit: 'READ,SELECT', sql: "SET statement_timeout = '5s'; SET application_name = 'm2'; SELECT 7", pg: 'm2' },
      ...["SET pgaudit.log = 'none'; SET application_name = 'hidden'; SET pgaudit.log = 'misc'; SET application_name = 'shown'"].flatMap((sql): Step[] => [
        // A superuser's string: the first entry is the third statement (logging was off before it).
        { audit: 'MISC,SET', sql, pg: 'hidden', ours: 'm2', why: 'a string setting pgaudit.* is not matched by order' },
        { audit: 'MISC,SET', sql, pg: 'shown', ours: 'm2', why: 'as above' },
      ]),
      { audit: 'MISC,SET', sql: "SET application_name = 'm2'", pg: 'm2' },
      { audit: 'MISC,SET', sql: '<not logged>', pg: 'nl', ours: 'm2', why: 'pgaudit.log_statement off' },
      { audit: 'READ,SELECT', sql: "PREPARE p AS SELECT set_config('application_name', $1, false)", pg: 'm2' },
      { audit: 'MISC,EXECUTE', sql: "EXECUTE p('prep')", sub: 2, pg: 'prep', ours: 'm2', why: 'the value is a parameter of a prepared statement' },
    ],
  },
  {
    name: 'DO blocks and set_config: substatements carry their own text; a SELECT is logged before it runs',
    steps: [
      { audit: 'FUNCTION,DO', sql: "DO $$BEGIN SET application_name = 'do1'; END$$", pg: 'start' },
      { audit: 'MISC,SET', sql: "SET application_name = 'do1'", sub: 2, pg: 'do1' },
      { audit: 'FUNCTION,DO', sql: "DO $$BEGIN PERFORM set_config('application_name','do2',false); END$$", pg: 'do1' },
      { audit: 'READ,SELECT', sql: "SELECT set_config('application_name','do2',false)", sub: 2, pg: 'do1' },
      { audit: 'READ,SELECT', sql: 'SELECT 14', pg: 'do2' },
      { audit: 'READ,SELECT', sql: "select SET_CONFIG( 'application_name' , 'sc2' , 'false' ) AS v", pg: 'do2' },
      { audit: 'READ,SELECT', sql: "SELECT set_config('application_name', NULL, false)", pg: 'sc2' },
      { audit: 'READ,SELECT', sql: 'SELECT 19', pg: 'start' },
      { audit: 'READ,SELECT', sql: "SELECT set_config('application_name','r1', false)", rows: 1, pg: 'r1' },
      { audit: 'READ,SELECT', sql: "SELECT set_config('application_name','local', true)", rows: 1, pg: 'local', ours: 'r1', why: 'is_local outside an audited block' },
      { audit: 'MISC,SET', sql: "SET application_name='r2'", rows: 0, pg: 'r2' },
      { audit: 'MISC,SET', sql: "SET application_name = 'bï-tööl'", pg: 'b??-t????l' },
      { audit: 'MISC,SET', sql: "SET LOCAL application_name='il'; SELECT 11", pg: 'il', ours: 'b??-t????l', why: 'SET LOCAL outside an audited block' },
    ],
  },
];

describe('ApplicationName follows the audited rows', () => {
  it.each(SCENARIOS)('$name', async ({ steps }) => {
    for (const s of steps) expect(s.ours === undefined || s.why !== undefined, 'a difference from PostgreSQL names its rule').toBe(true);
    const { kept } = await names(steps);
    expect(kept.map((r) => r.ApplicationName)).toEqual(expected(steps));
    expect(new Set(kept.map((r) => r.ConnectApplicationName))).toEqual(new Set(['start']));
  });

  it('keeps following across hourly blobs through the snapshot: an open block with SET LOCAL, a set_config seen last', async () => {
    const all = session([
      { audit: 'MISC,BEGIN', sql: 'BEGIN', pg: 'start' },
      { audit: 'MISC,SET', sql: "SET LOCAL application_name = 'loc'", pg: 'loc' },
      { audit: 'READ,SELECT', sql: 'SELECT 1', pg: 'loc' },
      { audit: 'MISC,COMMIT', sql: 'COMMIT', pg: 'loc' },
      { audit: 'READ,SELECT', sql: "SELECT set_config('application_name', 'worker', false)", pg: 'start' },
      { audit: 'READ,SELECT', sql: 'SELECT 2', pg: 'worker' },
    ]);
    const rows = [];
    let snapshot: PipelineSnapshot | undefined;
    for (const [hour, part] of [all.slice(0, 4), all.slice(4, 7), all.slice(7)].entries()) {
      const run = await rowsOf(text(part), {}, `h=0${hour}/PT1H.json`, snapshot);
      snapshot = JSON.parse(JSON.stringify(run.pipeline.snapshot())) as PipelineSnapshot;
      rows.push(...run.rows.filter((r) => r.EventType === 'AUDIT'));
    }
    expect(rows.map((r) => [r.ApplicationName, r.ConnectApplicationName])).toEqual([
      ['start', 'start'], ['loc', 'start'], ['loc', 'start'], ['loc', 'start'], ['start', 'start'], ['worker', 'start'],
    ]);
  });

  it('a saved session table validates with the schema of the name fields and loses nothing', async () => {
    const multi = "SET a = 1; SET application_name = 'x'";
    const { pipeline } = await rowsOf(
      text(
        session([
          { audit: 'MISC,BEGIN', sql: 'BEGIN', pg: 'start' },
          { audit: 'MISC,SAVEPOINT', sql: 'SAVEPOINT sp', pg: 'start' },
          { audit: 'MISC,SET', sql: "SET LOCAL application_name = 'loc'", pg: 'loc' },
          { audit: 'MISC,SET', sql: multi, pg: 'loc' },
        ]),
      ),
    );
    const saved = JSON.parse(JSON.stringify(pipeline.snapshot().sessions)) as unknown[];
    // The state's own reader (zod) gives back exactly what was saved.
    const doc = { version: 2, serverPath: 'p/', generation: 1, sessions: saved };
    expect(readSessions('sessions/p/1.json', JSON.stringify(doc)).sessions).toEqual(saved);
    const schema = z.strictObject(nameSessionFields);
    for (const s of saved) {
      const fields = { connectApplicationName: (s as { connectApplicationName: unknown }).connectApplicationName, names: (s as { names: unknown }).names };
      expect(schema.parse(fields)).toEqual(fields);
    }
    const names = (saved[0] as { names: { block: unknown[]; run: unknown } }).names;
    expect([names.block.length, names.run !== null]).toEqual([2, true]);
    expect(() => schema.parse({ connectApplicationName: 'a', names: { session: 'a', block: [{ savepoint: 1 }], run: null } })).toThrow();
  });

  it('a snapshot from before this column restores with the followed name as the session name', async () => {
    const first = await rowsOf(text(session([{ audit: 'MISC,SET', sql: "SET application_name = 'w'", pg: 'w' }])));
    const old = first.pipeline.snapshot().sessions.map(({ names: _n, connectApplicationName: _c, ...rest }) => rest);
    const restored = readSessions('sessions/p/1.json', JSON.stringify({ version: 2, serverPath: 'p/', generation: 1, sessions: old })).sessions;
    const second = await rowsOf(text(session([{ audit: 'MISC,RESET', sql: 'RESET ALL', pg: null }], 'start', false)), {}, 'b', { sessions: restored });
    expect(second.rows.map((r) => [r.ApplicationName, r.ConnectApplicationName])).toEqual([[null, null]]);
  });

  it('the quick readings of plain BEGIN/COMMIT/ROLLBACK and of SETs of other settings agree with the reader', async () => {
    const steps: Step[] = [
      { audit: 'MISC,BEGIN', sql: 'begin work;', pg: 'start' },
      { audit: 'MISC,SET', sql: "SET LOCAL application_name = 'w'", pg: 'w' },
      { audit: 'MISC,SET', sql: "SET search_path = 'a;b'", pg: 'w' },
      { audit: 'MISC,RESET', sql: 'RESET all', pg: 'start' },
      { audit: 'MISC,SET', sql: "SET application_name = 'v'", pg: 'v' },
      { audit: 'MISC,ROLLBACK', sql: ' ROLLBACK TRANSACTION ', pg: 'v' },
      { audit: 'MISC,RESET', sql: 'RESET statement_timeout', pg: 'start' },
    ];
    const { kept } = await names(steps);
    expect(kept.map((r) => r.ApplicationName)).toEqual(expected(steps));
  });

  it('statements lost before a row (a GAP) end what was known of the block', async () => {
    const lines = session([
      { audit: 'MISC,BEGIN', sql: 'BEGIN', pg: 'start' },
      { audit: 'MISC,SET', sql: "SET LOCAL application_name = 'loc'", pg: 'loc' },
    ]);
    lines.push(log('LOG', 'AUDIT: SESSION,5,1,READ,SELECT,,,SELECT 5,<not logged>'));
    const { rows } = await rowsOf(text(lines));
    expect(rows.filter((r) => r.EventType !== 'CONNECT').map((r) => [r.EventType, r.ApplicationName])).toEqual([
      ['AUDIT', 'start'], ['AUDIT', 'loc'], ['GAP', 'start'], ['AUDIT', 'start'],
    ]);
  });

  it('without the connection line: a SET is followed, RESET returns to an unknown name, ConnectApplicationName is null', async () => {
    const { kept } = await names(
      [
        { audit: 'MISC,SET', sql: "SET application_name = 'late'", pg: 'late' },
        { audit: 'MISC,RESET', sql: 'RESET application_name', pg: null },
      ],
      null,
      false,
    );
    expect(kept.map((r) => [r.ApplicationName, r.ConnectApplicationName])).toEqual([['late', null], [null, null]]);
  });

  it('the prefix wins when it has %a; ConnectApplicationName is still the connection name', async () => {
    const prefix = '%m [%p] %a ';
    const l = (app: string, msg: string): string => azureLine({ message: `2026-07-02 03:00:06.467 UTC [9] ${app} LOG:  ${msg}`, processId: 9 });
    const { rows } = await rowsOf(
      text([
        l('', 'connection authorized: user=u database=d application_name=start'),
        l('from-prefix', "AUDIT: SESSION,1,1,MISC,SET,,,SET application_name = 'x',<not logged>"),
        l('x', 'AUDIT: SESSION,2,1,READ,SELECT,,,SELECT 1,<not logged>'),
      ]),
      { logLinePrefix: prefix },
    );
    expect(rows.map((r) => [r.EventType, r.ApplicationName, r.ConnectApplicationName])).toEqual([
      ['CONNECT', 'start', 'start'], ['AUDIT', 'from-prefix', 'start'], ['AUDIT', 'x', 'start'],
    ]);
  });
});
