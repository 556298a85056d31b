// The slim row contract (docs/design.md "The row contract", issue 23): what a row leaves out is
// either never needed or recoverable, and what it keeps still identifies the row.
import { describe, expect, it } from 'vitest';
import { eventTimeNeeded } from '../../src/pipeline/row-builder.js';
import { blobFields } from '../../src/ship/run-records.js';
import { serializeRow, withEventTime } from '../../src/ship/serialized-rows.js';
import { resourceIdOfPath, serverRelativeBlobName } from '../../src/read/blob-path.js';
import { COLUMN_NAMES } from '../../src/schema.js';
import { azureLine, defaultPrefix } from '../helpers/azure-record.js';
import { rowsOf } from '../helpers/run-pipeline.js';

const SERVER = 'resourceId=/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/PGFLEX-TEST/';
const BLOB = `${SERVER}y=2026/m=07/d=02/h=03/m=00/PT1H.json`;
const EVENT = Date.parse('2026-07-02T03:00:06.467Z');
const HOUR = 3_600_000;

const lines = [
  azureLine({ message: `${defaultPrefix()}LOG:  connection authorized: user=alice database=shop application_name=app` }),
  azureLine({ message: `${defaultPrefix()}LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.t,SELECT 1,<not logged>` }),
  azureLine({ message: `${defaultPrefix()}ERROR:  division by zero`, errorLevel: 'ERROR', sqlerrcode: '22012' }),
].join('\n') + '\n';

async function rowsAt(sendsAt: number, blob = BLOB) {
  return (await rowsOf(lines, { sendsAt: () => sendsAt }, blob)).rows;
}

describe('slim rows', () => {
  it('no ServerResourceId column; SourceBlob relative to the server; the run record names the server in full', async () => {
    expect(COLUMN_NAMES).not.toContain('ServerResourceId');
    const rows = await rowsAt(EVENT + HOUR);
    expect(rows.map((r) => r.SourceBlob)).toEqual(Array(3).fill('y=2026/m=07/d=02/h=03/m=00/PT1H.json'));
    expect(rows.map((r) => r.ServerName)).toEqual(Array(3).fill('pgflex-test'));
    expect(blobFields(BLOB)).toEqual({
      ServerName: 'pgflex-test',
      ServerResourceId: '/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/PGFLEX-TEST',
      SourceBlob: 'y=2026/m=07/d=02/h=03/m=00/PT1H.json',
    });
    // The container-relative name is recoverable: resourceId=<ServerResourceId>/<SourceBlob>.
    expect(`resourceId=${resourceIdOfPath(SERVER)}/${serverRelativeBlobName(BLOB)}`).toBe(BLOB);
    // A name without the hourly layout (a local file) is kept whole.
    expect(serverRelativeBlobName('logs/today.json')).toBe('logs/today.json');
  });

  it('every row of a blob names it by ServerName + SourceBlob, an UNPARSED row of an undecodable line too', async () => {
    const { rows } = await rowsOf(`not a record\n${lines}`, {}, BLOB.replace('PGFLEX-TEST', 'PG-PATH'));
    expect(rows[0]!.EventType).toBe('UNPARSED');
    expect(rows.map((r) => [r.ServerName, r.SourceBlob])).toEqual(Array(4).fill(['pg-path', 'y=2026/m=07/d=02/h=03/m=00/PT1H.json']));
  });

  it('RecordId: 22 base64url characters, different for the same relative name on another server', async () => {
    const a = await rowsAt(EVENT + HOUR);
    const b = await rowsAt(EVENT + HOUR, BLOB.replace('PGFLEX-TEST', 'PGFLEX-OTHER'));
    for (const r of a) expect(r.RecordId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(a.map((r) => r.RecordId)).size).toBe(3);
    expect(b.map((r) => r.SourceBlob)).toEqual(a.map((r) => r.SourceBlob));
    for (let i = 0; i < a.length; i++) expect(b[i]!.RecordId).not.toBe(a[i]!.RecordId);
  });

  it('EventTime only on rows whose TimeGenerated Log Analytics would replace (36 h after, 12 h before, with margin)', async () => {
    for (const [sendsAt, set] of [
      [EVENT + 5 * 60_000, false],
      [EVENT + 35 * HOUR, false],
      [EVENT + 37 * HOUR, true],
      [EVENT + 6 * 24 * HOUR, true],
      [EVENT - 11 * HOUR, false],
      [EVENT - 13 * HOUR, true],
    ] as const) {
      const rows = await rowsAt(sendsAt);
      expect(rows.map((r) => r.EventTime), `sent at ${new Date(sendsAt).toISOString()}`).toEqual(Array(3).fill(set ? '2026-07-02T03:00:06.467Z' : null));
      expect(rows.every((r) => r.TimeGenerated === '2026-07-02T03:00:06.467Z')).toBe(true);
    }
    expect(eventTimeNeeded('not a time', EVENT)).toBe(false);
  });

  it('a replayed dead letter gets EventTime when it is sent too late; otherwise it is sent as it was', async () => {
    const [row] = await rowsAt(EVENT + HOUR);
    const line = serializeRow(row!);
    expect(withEventTime(line, EVENT + 2 * HOUR)).toBe(line);
    const late = withEventTime(line, EVENT + 3 * 24 * HOUR);
    const parsed = JSON.parse(late.json) as Record<string, unknown>;
    expect(parsed.EventTime).toBe('2026-07-02T03:00:06.467Z');
    expect(Object.keys(parsed)).toEqual(Object.keys(row!));
    expect(late.offset).toBe(line.offset);
  });

  it('flags are true or null, StatementLength only on cut statements, SqlState 00000 is null', async () => {
    const rows = await rowsAt(EVENT + HOUR);
    for (const r of rows) {
      expect(r.Redacted).toBeNull();
      expect(r.InvalidUtf8).toBeNull();
      expect(r.StatementTruncated).toBeNull();
      expect(r.StatementLength).toBeNull();
    }
    expect(rows.map((r) => r.SqlState)).toEqual([null, null, '22012']);
    const long = azureLine({ message: `${defaultPrefix()}LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,SELECT '${'x'.repeat(300)}',<not logged>` });
    const [cut] = (await rowsOf(long + '\n', { statementCap: 100 })).rows;
    expect(cut!.StatementTruncated).toBe(true);
    expect(cut!.StatementLength).toBe(309); // SELECT '…' with 300 x
    expect(cut!.Statement).toHaveLength(100);
  });
});
