import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { COLUMN_NAMES } from '../../src/schema.js';
import { azureLine, defaultPrefix } from '../helpers/azure-record.js';
import { rowsOf } from '../helpers/run-pipeline.js';

const S1 = '6a45d439.151407';
const S2 = '6a45d43a.151408';
const line = (session: string, level: string, message: string, extra: { sqlerrcode?: string; processId?: number; detail?: string } = {}): string =>
  azureLine({ message: `${defaultPrefix(session)}${level}:  ${message}`, errorLevel: level, ...extra });
const audit = (session: string, payload: string, pid = 1): string => line(session, 'LOG', `AUDIT: ${payload}`, { processId: pid });
const connect = (session: string, user: string, db: string, app: string | null, host: string, port: number, pid = 1): string[] => [
  line(session, 'LOG', `connection received: host=${host} port=${port}`, { processId: pid }),
  line(session, 'LOG', `connection authorized: user=${user} database=${db}${app ? ` application_name=${app}` : ''} SSL enabled (protocol=TLSv1.3, cipher=x, bits=256)`, { processId: pid }),
];
const text = (...lines: (string | string[])[]): string => lines.flat().join('\n') + '\n';

describe('AuditPipeline', () => {
  it('attributes AUDIT rows under the default %t-%c- prefix from the session connection lines', async () => {
    const { rows } = await rowsOf(
      text(
        connect(S1, 'alice', 'shop', 'etl "nightly", v2', '10.0.0.7', 50123),
        connect(S2, 'bob', 'crm', null, '10.0.0.8', 50124, 2),
        audit(S1, 'SESSION,1,1,READ,SELECT,,,select 1,<none>'),
        audit(S2, 'SESSION,1,1,WRITE,INSERT,TABLE,public.t,"insert into t values (1)",<none>', 2),
      ),
    );
    const audits = rows.filter((r) => r.EventType === 'AUDIT');
    expect(audits.map((r) => [r.SessionId, r.UserName, r.DatabaseName, r.ApplicationName, r.ClientHost, r.ClientPort])).toEqual([
      [S1, 'alice', 'shop', 'etl "nightly", v2', '10.0.0.7', 50123],
      [S2, 'bob', 'crm', null, '10.0.0.8', 50124],
    ]);
    expect(rows.filter((r) => r.EventType === 'CONNECT').map((r) => r.UserName)).toEqual(['alice', 'bob']);
  });

  it('lets prefix fields win over session fields', async () => {
    const prefix = '%m [%p] %q%u@%d ';
    const l = (pid: number, who: string, msg: string): string =>
      azureLine({ message: `2026-07-02 03:00:06.467 UTC [${pid}] ${who} LOG:  ${msg}`, processId: pid });
    const { rows } = await rowsOf(
      text(l(9, '[unknown]@[unknown]', 'connection received: host=10.1.1.1 port=5000'), l(9, 'carol@hr', 'connection authorized: user=carol database=hr'), l(9, 'dave@hr', 'AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<none>')),
      { logLinePrefix: prefix },
    );
    const a = rows.find((r) => r.EventType === 'AUDIT')!;
    // Keyed by process id (no %c); user from the prefix, host from the session.
    expect([a.UserName, a.DatabaseName, a.ClientHost, a.ClientPort, a.ProcessId, a.SessionId]).toEqual(['dave', 'hr', '10.1.1.1', 5000, 9, null]);
  });

  it('resolves <previously logged> from the same session and statement id only', async () => {
    const { rows } = await rowsOf(
      text(
        connect(S1, 'alice', 'shop', null, '10.0.0.7', 1),
        audit(S1, 'SESSION,1,1,READ,SELECT,,,"SELECT * FROM t WHERE id = $1",1'),
        audit(S1, 'OBJECT,1,1,READ,SELECT,TABLE,public.t,<previously logged>,<previously logged>'),
        audit(S2, 'OBJECT,1,1,READ,SELECT,TABLE,public.t,<previously logged>,<previously logged>', 2),
      ),
    );
    const a = rows.filter((r) => r.EventType === 'AUDIT');
    expect(a.map((r) => [r.Statement, r.Parameter, r.Parameters])).toEqual([
      ['SELECT * FROM t WHERE id = $1', '1', ['1']],
      ['SELECT * FROM t WHERE id = $1', '1', ['1']],
      ['<previously logged>', '<previously logged>', null],
    ]);
  });

  it('emits a GAP row before the entry that reveals missing statement ids', async () => {
    const { rows, pipeline } = await rowsOf(
      text(
        connect(S1, 'alice', 'shop', null, 'h', 1),
        audit(S1, 'SESSION,1,1,READ,SELECT,,,select 1,<none>'),
        audit(S1, 'SESSION,1,2,READ,SELECT,,,select 1,<none>'),
        audit(S1, 'SESSION,5,1,READ,SELECT,,,select 5,<none>'),
        audit(S1, 'SESSION,6,1,READ,SELECT,,,select 6,<none>'),
        audit(S2, 'SESSION,40,1,READ,SELECT,,,select 40,<none>', 2), // start not seen: no gap
      ),
    );
    const seq = rows.filter((r) => r.EventType !== 'CONNECT').map((r) => [r.EventType, r.StatementId, r.SessionId]);
    expect(seq).toEqual([
      ['AUDIT', 1, S1], ['AUDIT', 1, S1], ['GAP', 2, S1], ['AUDIT', 5, S1], ['AUDIT', 6, S1], ['AUDIT', 40, S2],
    ]);
    const gap = rows.find((r) => r.EventType === 'GAP')!;
    expect(gap.Message).toBe('pgAudit statement ids 2..4 are missing in this session (3 statements lost before reaching the log)');
    expect(gap.UserName).toBe('alice');
    expect(gap.SourceOffset).toBe(rows.find((r) => r.StatementId === 5 && r.EventType === 'AUDIT')!.SourceOffset);
    expect(pipeline.stats.missingStatements).toBe(3);
  });

  it('reports a gap at the start of a session whose connection was seen', async () => {
    const { rows } = await rowsOf(text(connect(S1, 'a', 'b', null, 'h', 1), audit(S1, 'SESSION,3,1,READ,SELECT,,,x,<none>')));
    expect(rows.filter((r) => r.EventType === 'GAP').map((r) => [r.StatementId, r.Message])).toEqual([[1, expect.stringContaining('ids 1..2')]]);
  });

  it('caps Statement after redaction and records the cut', async () => {
    const long = "ALTER ROLE x PASSWORD 'p' " + 'y'.repeat(300);
    const { rows } = await rowsOf(text(audit(S1, `SESSION,1,1,ROLE,ALTER ROLE,,,"${long}",<none>`)), { statementCap: 100 });
    const a = rows[0]!;
    expect(a.Statement).toBe(('ALTER ROLE x PASSWORD <REDACTED> ' + 'y'.repeat(300)).slice(0, 100));
    expect([a.StatementTruncated, a.StatementLength, a.Redacted]).toEqual([true, 'ALTER ROLE x PASSWORD <REDACTED> '.length + 300, true]);
  });

  it('classifies errors and authentication failures with the user from the message', async () => {
    const { rows } = await rowsOf(
      text(
        connect(S1, 'eve', 'db', null, '203.0.113.9', 4000),
        line(S1, 'FATAL', 'password authentication failed for user "eve"', { sqlerrcode: '28P01', detail: 'Connection matched file "pg_hba.conf" line 9' }),
        line(S2, 'ERROR', 'relation "missing" does not exist', { sqlerrcode: '42P01' }),
        line(S2, 'FATAL', 'database "nope" does not exist', { sqlerrcode: '3D000' }),
        line(S2, 'LOG', 'checkpoint starting: time'),
      ),
    );
    expect(rows.filter((r) => r.EventType !== 'CONNECT').map((r) => [r.EventType, r.UserName, r.ClientHost, r.SqlState, r.Message])).toEqual([
      ['AUTH_FAILURE', 'eve', '203.0.113.9', '28P01', 'password authentication failed for user "eve"'],
      ['ERROR', null, null, '42P01', 'relation "missing" does not exist'],
      ['ERROR', null, null, '3D000', 'database "nope" does not exist'],
    ]);
    expect(rows.find((r) => r.EventType === 'AUTH_FAILURE')!.Detail).toBe('Connection matched file "pg_hba.conf" line 9');
  });

  // PostgreSQL 15 (checked on a real server): a backend that fails to start never logs
  // "disconnection", whether it fails before or after "connection authorized"; a FATAL that ends
  // a running session does, and an ERROR leaves the session running.
  it.each([
    { name: 'password failed before authorization', level: 'FATAL', fatal: ['password authentication failed for user "eve"', '28P01'], authorized: false, eventType: 'AUTH_FAILURE', ended: true },
    { name: 'login refused after authorization', level: 'FATAL', fatal: ['role "eve" is not permitted to log in', '28000'], authorized: true, eventType: 'AUTH_FAILURE', ended: true },
    { name: 'no such database', level: 'FATAL', fatal: ['database "nosuch" does not exist', '3D000'], authorized: true, eventType: 'ERROR', ended: true },
    { name: 'no CONNECT privilege', level: 'FATAL', fatal: ['permission denied for database "shop"', '42501'], authorized: true, eventType: 'ERROR', ended: true },
    { name: 'connection limit', level: 'FATAL', fatal: ['too many connections for role "eve"', '53300'], authorized: true, eventType: 'ERROR', ended: true },
    { name: 'terminated running session', level: 'FATAL', fatal: ['terminating connection due to administrator command', '57P01'], authorized: true, eventType: 'ERROR', ended: false },
    { name: 'statement refused', level: 'ERROR', fatal: ['permission denied for table orders', '42501'], authorized: true, eventType: 'ERROR', ended: false },
  ])('a backend that fails to start ends its session, other failures do not: $name', async ({ level, fatal, authorized, eventType, ended }) => {
    const [message, sqlerrcode] = fatal as [string, string];
    const opening = authorized ? connect(S1, 'eve', 'shop', null, '203.0.113.9', 4000) : [line(S1, 'LOG', 'connection received: host=203.0.113.9 port=4000')];
    const { rows, pipeline } = await rowsOf(text(opening, line(S1, level, message, { sqlerrcode })));
    expect(rows.at(-1)).toMatchObject({ EventType: eventType, SqlState: sqlerrcode, ClientHost: '203.0.113.9' });
    expect(pipeline.snapshot().sessions.map((s) => s.sessionId)).toEqual(ended ? [] : [S1]);
  });

  it('keeps the session table small under a brute-force attack', async () => {
    const attempt = (n: number): string[] => [
      line(`6a45d439.${n}`, 'LOG', `connection received: host=203.0.113.9 port=${n}`, { processId: n }),
      line(`6a45d439.${n}`, 'FATAL', 'password authentication failed for user "postgres"', { sqlerrcode: '28P01', processId: n }),
    ];
    const { rows, pipeline } = await rowsOf(text(...Array.from({ length: 500 }, (_, n) => attempt(1000 + n)), connect(S1, 'alice', 'shop', null, '10.0.0.7', 1)));
    expect(rows.filter((r) => r.EventType === 'AUTH_FAILURE')).toHaveLength(500);
    expect(pipeline.snapshot().sessions.map((s) => s.sessionId)).toEqual([S1]);
  });

  it('turns undecodable lines into UNPARSED rows and keeps every good row, in order', async () => {
    const good = (n: number): string => audit(S1, `SESSION,${n},1,READ,SELECT,,,select ${n},<none>`);
    const { rows, pipeline } = await rowsOf(
      text(good(1), 'garbage', good(2).slice(0, 60), '', good(3), '{"category":"PostgreSQLLogs","properties":{}}', azureLine({ message: 'no marker here' }), good(4)),
    );
    // Statement 2 was in the cut line: the pipeline also reports it missing.
    expect(rows.map((r) => [r.EventType, r.StatementId])).toEqual([
      ['AUDIT', 1], ['UNPARSED', null], ['UNPARSED', null], ['GAP', 2], ['AUDIT', 3], ['UNPARSED', null], ['UNPARSED', null], ['AUDIT', 4],
    ]);
    expect(rows.filter((r) => r.EventType === 'UNPARSED').map((r) => r.Detail)).toEqual([
      expect.stringMatching(/not valid JSON/), expect.stringMatching(/not valid JSON/), expect.stringMatching(/bad properties: message/), expect.stringMatching(/no "<LEVEL>: {2}" marker/),
    ]);
    expect(pipeline.stats.blankLines).toBe(1);
    expect(pipeline.stats.rows.UNPARSED).toBe(4);
  });

  it('parses with the level marker when the prefix does not fit, and counts it', async () => {
    const { rows, pipeline } = await rowsOf(text(audit(S1, 'SESSION,1,1,READ,SELECT,,,select 1,<none>')), { logLinePrefix: '%m [%p] ' });
    expect(rows[0]).toMatchObject({ EventType: 'AUDIT', Statement: 'select 1', SessionId: null });
    expect(pipeline.stats.prefixMismatches).toBe(1);
  });

  it('gives every row all columns and a RecordId derived from blob, offset and index', async () => {
    const { rows } = await rowsOf(text(connect(S1, 'a', 'b', null, 'h', 1), audit(S1, 'SESSION,3,1,READ,SELECT,,,x,<none>')), {}, 'c/PT1H.json');
    for (const r of rows) expect(Object.keys(r)).toEqual(COLUMN_NAMES);
    const [gap, auditRow] = rows.slice(-2);
    expect(gap!.SourceOffset).toBe(auditRow!.SourceOffset);
    // 128 bits of the SHA-256, base64url (22 characters).
    const id = (text: string): string => hash('sha256', text, 'buffer').subarray(0, 16).toString('base64url');
    expect(gap!.RecordId).toBe(id(`c/PT1H.json\n${gap!.SourceOffset}\n0`));
    expect(auditRow!.RecordId).toBe(id(`c/PT1H.json\n${auditRow!.SourceOffset}\n1`));
    expect(auditRow!.RecordId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('carries sessions to the next blob through a snapshot', async () => {
    const first = await rowsOf(text(connect(S1, 'alice', 'shop', null, '10.0.0.7', 1)), {}, 'h=03/PT1H.json');
    const snapshot = JSON.parse(JSON.stringify(first.pipeline.snapshot())) as ReturnType<typeof first.pipeline.snapshot>;
    const second = await rowsOf(text(audit(S1, 'SESSION,1,1,READ,SELECT,,,select 1,<none>')), {}, 'h=04/PT1H.json', snapshot);
    expect(second.rows[0]).toMatchObject({ UserName: 'alice', DatabaseName: 'shop', ClientHost: '10.0.0.7' });
  });

  it('drops lines PgAudit_CL does not keep, with reasons', async () => {
    const { rows, pipeline } = await rowsOf(
      text(line(S1, 'LOG', 'checkpoint starting: time'), line(S1, 'LOG', 'statement: SELECT 1'), azureLine({ message: 'x', category: 'PostgreSQLFlexQueryStoreRuntime' })),
    );
    expect(rows).toEqual([]);
    expect(pipeline.stats.droppedByReason).toEqual({ 'checkpoint starting': 1, statement: 1, 'category PostgreSQLFlexQueryStoreRuntime': 1 });
  });

  it('removes the tab PostgreSQL adds after newlines, but only when every continuation has one', async () => {
    const withTabs = audit(S1, 'SESSION,1,1,DDL,CREATE TABLE,TABLE,t,"CREATE TABLE t (\n\tid int,\n\t\tx int)",<none>');
    const without = audit(S1, 'SESSION,2,1,DDL,CREATE TABLE,TABLE,t,"CREATE TABLE t (\nid int,\n\tx int)",<none>');
    const { rows } = await rowsOf(text(withTabs, without));
    expect(rows.map((r) => r.Statement)).toEqual(['CREATE TABLE t (\nid int,\n\tx int)', 'CREATE TABLE t (\nid int,\n\tx int)']);
  });
});
