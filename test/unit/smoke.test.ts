// The pure parts of `pgaudit-ingest smoke`: the canary (shaped like the real sample, read by the
// pipeline as intended, quiet for every alert and detection rule), its queries (valid KQL against
// both tables), the reading of their answers, and the azd env file.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { buildProgram } from '../../src/cli/program.js';
import { smokeEnv } from '../../src/cli/smoke-command.js';
import { RUN_COLUMNS, RUN_TABLE_NAME } from '../../src/run-record-schema.js';
import { COLUMNS, TABLE_NAME } from '../../src/schema.js';
import { assess, kqlString, rowsQuery, runRecordsQuery, type RunRecordSeen } from '../../src/smoke/assess.js';
import { parseDotenv } from '../../src/smoke/azd-env.js';
import { createCanary, expectedRows, SMOKE_SUBSCRIPTION } from '../../src/smoke/canary.js';
import { parseBlobPath } from '../../src/read/blob-path.js';
import { KqlEval, type TRow, type Value } from '../detections/kql-eval.js';
import { INFRA } from '../infra/bicep.js';
import { rowsOf } from '../helpers/run-pipeline.js';
import { checkKql, errorsOf } from '../helpers/kusto.js';
import { serverRelativeBlobName } from '../../src/read/blob-path.js';

const AT = new Date('2026-12-08T01:17:42.123Z');
const canary = createCanary('0123456789', AT, '9.9.9');
const SAMPLE = readFileSync(path.resolve(import.meta.dirname, '../../samples/pgaudit-flexible-PT1H.json'), 'utf8').split('\n')[0]!;

describe('the canary', () => {
  it('is a Flexible Server diagnostic blob of the current hour under an all-zero subscription', () => {
    expect(canary.serverName).toBe('pgaudit-smoke-0123456789');
    expect(canary.blobName).toBe(`resourceId=/SUBSCRIPTIONS/${SMOKE_SUBSCRIPTION}/RESOURCEGROUPS/PGAUDIT-SMOKE-TEST/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/PGAUDIT-SMOKE-0123456789/y=2026/m=12/d=08/h=01/m=00/PT1H.json`);
    expect(parseBlobPath(canary.blobName)).toMatchObject({ serverPath: canary.serverPath, hourStart: new Date('2026-12-08T01:00:00Z') });
    expect(() => createCanary('../x', AT, '1')).toThrow(/hex/);
  });

  it('has the real sample’s keys, key order and spacing on every line, and ends with a newline', () => {
    const text = canary.bytes.toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const keys = (line: string): string[] => Object.keys(JSON.parse(line) as object);
    const propKeys = (line: string): string[] => Object.keys((JSON.parse(line) as { properties: object }).properties);
    const lines = text.trimEnd().split('\n');
    for (const line of lines) {
      expect(line.startsWith('{ "AppImage": ')).toBe(true);
      expect(keys(line)).toEqual(keys(SAMPLE));
      expect(propKeys(line)).toEqual(propKeys(SAMPLE));
      // `"properties": {"timestamp": "…","processId": …}` as Azure prints it.
      expect(line).toMatch(/"properties": \{"timestamp": "\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC","processId": \d+,"errorLevel": "LOG",/);
      expect(line.endsWith('"}')).toBe(true);
    }
    expect(SAMPLE).toMatch(/"properties": \{"timestamp": "[^"]+","processId": \d+,"errorLevel": /); // the sample is spaced the same way
  });

  it('becomes a CONNECT, three AUDIT rows carrying the marker and a DISCONNECT, attributed, with nothing unparsed', async () => {
    const { rows, pipeline } = await rowsOf(canary.bytes, {}, canary.blobName);
    expect(rows.map((r) => r.EventType)).toEqual(['CONNECT', 'AUDIT', 'AUDIT', 'AUDIT', 'DISCONNECT']);
    expect(await expectedRows(canary)).toEqual({ CONNECT: 1, AUDIT: 3, DISCONNECT: 1 });
    for (const r of rows) expect(r).toMatchObject({ ServerName: canary.serverName, UserName: 'pgaudit_smoke', DatabaseName: 'postgres', ClientHost: '192.0.2.10' });
    for (const r of rows.filter((x) => x.EventType === 'AUDIT')) expect(r.Statement).toContain(canary.marker);
    expect(rows[0]!.TimeGenerated).toBe('2026-12-08T01:17:42.124Z'); // the authorized line, 1 ms after the first
    expect(pipeline.stats.prefixMismatches).toBe(0);
  });

  it('fires no alert or detection rule (it must never page anyone)', async () => {
    const { rows } = await rowsOf(canary.bytes, {}, canary.blobName);
    // As PgAudit_CL holds them for KQL: strings never null, datetimes as ms.
    const table: TRow[] = rows.map((r, i) => ({
      values: Object.fromEntries(COLUMNS.map((c) => {
        const v = (r as Record<string, unknown>)[c.name] ?? null;
        return [c.name, (c.type === 'string' ? (v ?? '') : c.type === 'dateTime' ? Date.parse(v as string) : v) as Value];
      })),
      ids: new Set([i]),
    }));
    const kql = path.join(INFRA, 'kql');
    const rules = readdirSync(kql).filter((f) => /^(detect|alert)-.*\.kql$/.test(f));
    expect(rules.length).toBeGreaterThan(20);
    for (const rule of rules) {
      const out = new KqlEval({ tables: { [TABLE_NAME]: table }, now: AT.getTime() + 60_000 }).run(readFileSync(path.join(kql, rule), 'utf8'));
      expect(out, rule).toEqual([]);
    }
  });
});

describe('the queries', () => {
  it('are valid KQL against PgAudit_CL and PgAuditIngest_CL (Kusto.Language)', () => {
    const tables = { [TABLE_NAME]: COLUMNS, [RUN_TABLE_NAME]: RUN_COLUMNS };
    for (const q of [rowsQuery(canary), runRecordsQuery(canary)]) expect(errorsOf(checkKql(q, tables)), q).toEqual([]);
    expect(kqlString("it's \\ here")).toBe("'it\\'s \\\\ here'");
  });
});

describe('assess', () => {
  const expected = { CONNECT: 1, AUDIT: 3, DISCONNECT: 1 };
  const length = canary.bytes.length;
  // Run records hold SourceBlob relative to the server, as the app writes them.
  const blobRecord = (over: Partial<RunRecordSeen> = {}): RunRecordSeen => ({ recordType: 'blob', sourceBlob: serverRelativeBlobName(canary.blobName), endOffset: length, rowsShipped: 5, rowsDeadLettered: 0, rowsFiltered: 0, errorCode: null, errorMessage: null, ...over });
  const allRows = [
    { eventType: 'CONNECT', marked: false, rows: 1 },
    { eventType: 'AUDIT', marked: true, rows: 3 },
    { eventType: 'DISCONNECT', marked: false, rows: 1 },
  ];

  it('waits until every row and a run record covering the whole blob are queryable', () => {
    expect(assess({ rows: [], runRecords: [] }, canary, length, expected)).toMatchObject({ state: 'waiting', rowsFound: 0, rowsExpected: 5, runRecordComplete: false });
    expect(assess({ rows: allRows, runRecords: [] }, canary, length, expected).state).toBe('waiting');
    expect(assess({ rows: allRows.slice(0, 2), runRecords: [blobRecord()] }, canary, length, expected).state).toBe('waiting');
    expect(assess({ rows: allRows, runRecords: [blobRecord({ endOffset: length - 1 })] }, canary, length, expected).state).toBe('waiting');
    expect(assess({ rows: allRows, runRecords: [blobRecord({ sourceBlob: 'other/PT1H.json' })] }, canary, length, expected).state).toBe('waiting');
    expect(assess({ rows: allRows, runRecords: [blobRecord()] }, canary, length, expected)).toMatchObject({ state: 'arrived', rowsFound: 5, markedAudit: 3, byEventType: expected });
  });

  it('adds up the ranges of several run records, counts filtered rows out, and stops on dead letters', () => {
    const two = [blobRecord({ endOffset: 100, rowsShipped: 2 }), blobRecord({ rowsShipped: 3 })];
    expect(assess({ rows: allRows, runRecords: two }, canary, length, expected)).toMatchObject({ state: 'arrived', rowsShipped: 5 });
    const filtered = assess({ rows: allRows.slice(1), runRecords: [blobRecord({ rowsShipped: 4, rowsFiltered: 1 })] }, canary, length, expected);
    expect(filtered).toMatchObject({ state: 'arrived', rowsExpected: 4, rowsFound: 4 });
    expect(assess({ rows: [], runRecords: [blobRecord({ rowsShipped: 0, rowsDeadLettered: 5 })] }, canary, length, expected).state).toBe('dead-lettered');
    const withError = assess({ rows: [], runRecords: [{ ...blobRecord(), recordType: 'error', errorCode: 'BlobDeleted', errorMessage: 'gone' }] }, canary, length, expected);
    expect(withError).toMatchObject({ state: 'waiting', errors: ['BlobDeleted: gone'] });
  });

  it('does not take unmarked AUDIT rows for the canary’s', () => {
    const unmarked = allRows.map((r) => ({ ...r, marked: false }));
    expect(assess({ rows: unmarked, runRecords: [blobRecord()] }, canary, length, expected).state).toBe('waiting');
  });
});

describe('settings from azd', () => {
  it('parses `azd env get-values` output: quoted values with escapes, bare values, comments', () => {
    const text = ['AZURE_ENV_NAME="prod"', 'LOG_ANALYTICS_WORKSPACE_ID="/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log"', 'QUOTED="a \\"b\\" \\\\ c\\nd \\$e"', "SINGLE='x\\y'", '# comment', '', 'BARE=plain # note', 'export EXPORTED="1"'].join('\r\n');
    expect(parseDotenv(text)).toEqual({
      AZURE_ENV_NAME: 'prod',
      LOG_ANALYTICS_WORKSPACE_ID: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log',
      QUOTED: 'a "b" \\ c\nd $e',
      SINGLE: 'x\\y',
      BARE: 'plain',
      EXPORTED: '1',
    });
    expect(() => parseDotenv('not a pair')).toThrow(/not a KEY=value line/);
  });

  it('takes azd outputs as fallbacks: the file over the environment, the workspace GUID over its resource id', () => {
    const both = smokeEnv({ LOGS_STORAGE_ACCOUNT_NAME: 'stold', LOG_ANALYTICS_WORKSPACE_ID: '/subscriptions/s/x' }, { LOGS_STORAGE_ACCOUNT_NAME: 'stlogs', LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID: 'guid' });
    expect(both).toMatchObject({ env: { PGAUDIT_LOGS_STORAGE: 'https://stlogs.blob.core.windows.net' }, workspace: 'guid' });
    expect(smokeEnv({ PGAUDIT_LOGS_STORAGE: 'https://explicit.blob.core.windows.net', LOGS_STORAGE_ACCOUNT_NAME: 'stlogs' }, {}).env.PGAUDIT_LOGS_STORAGE).toBe('https://explicit.blob.core.windows.net');
    expect(smokeEnv({ LOG_ANALYTICS_WORKSPACE_ID: '/subscriptions/s/x', LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID: 'g' }, {}).workspace).toBe('g');
    expect(smokeEnv({ LOG_ANALYTICS_WORKSPACE_CUSTOMER_ID: 'g' }, { LOG_ANALYTICS_WORKSPACE_ID: '/subscriptions/s/x' }).workspace).toBe('/subscriptions/s/x');
    expect(smokeEnv({}, {}).workspace).toBeUndefined();
  });
});

describe('the documentation of smoke', () => {
  const read = (p: string): string => readFileSync(path.resolve(import.meta.dirname, '../..', p), 'utf8');
  const deploy = read('docs/deploy.md');
  const section = deploy.slice(deploy.indexOf('### Smoke test'), deploy.indexOf('\n## ', deploy.indexOf('### Smoke test')));
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), stderrIsTty: false };
  const help = buildProgram(io, () => undefined).commands.find((c) => c.name() === 'smoke')!.helpInformation();

  it('names only options `smoke --help` shows, in deploy.md and the README', () => {
    expect(section.length).toBeGreaterThan(1000);
    const readme = read('README.md');
    const smokeLines = [section, ...readme.split('\n').filter((l) => l.includes('pgaudit-ingest smoke'))].join('\n');
    const options = new Set([...smokeLines.matchAll(/(?<![\w-])--[a-z][a-z-]+/g)].map((m) => m[0]).filter((o) => !['--assignee', '--role', '--scope', '--query', '--auth-mode', '--account-name', '--prefix', '--tenant'].includes(o)));
    expect([...options]).toEqual(expect.arrayContaining(['--azd-env-file', '--timeout-minutes', '--poll-seconds', '--workspace']));
    for (const o of options) expect(help, o).toContain(`${o} `);
  });

  it('states the defaults the command has', () => {
    expect(help).toMatch(/--timeout-minutes <minutes>[\s\S]*default: "20"/);
    expect(help).toMatch(/--poll-seconds <seconds>[\s\S]*default: "30"/);
    expect(section).toContain('`--timeout-minutes` (default 20) and `--poll-seconds` (default 30)');
  });
});
