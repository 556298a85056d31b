// What the pipeline does to a row after building it: the whole-row size bound, invalid UTF-8,
// a cut last line, RecordIds that follow the blob's identity, and filters that are counted.
import { describe, expect, it } from 'vitest';
import { MAX_ROW_BYTES, fitRow } from '../../src/enrich/row-size.js';
import { AuditPipeline } from '../../src/pipeline/audit-pipeline.js';
import { chunkRows } from '../../src/pipeline/chunk-rows.js';
import { totalRows } from '../../src/pipeline/stats.js';
import { emptyRow, type PgAuditRow } from '../../src/schema.js';
import { azureLine } from '../helpers/azure-record.js';
import { rowsOf } from '../helpers/run-pipeline.js';

const audit = (payload: string, pid = 7): string => azureLine({ message: `2026-07-02 03:00:06 UTC-6a1.${pid}-LOG:  AUDIT: ${payload}`, processId: pid });
const bytes = (row: PgAuditRow): number => Buffer.byteLength(JSON.stringify(row));
const csv = (values: string[]): string => `"${values.map((v) => `"${v}"`.replaceAll('"', '""')).join(',')}"`;

describe('the whole-row size bound', () => {
  it.each([
    { name: '200 parameters of 10 KB (each under the cap)', parameters: Array.from({ length: 200 }, (_, i) => `${i}`.padEnd(10_000, 'p')), statement: 'INSERT INTO t VALUES ($1 … $200)', cut: ['Parameters'] },
    { name: 'a capped statement full of control characters (6 bytes each in JSON)', parameters: [] as string[], statement: '\u0001'.repeat(60_000), cut: [] as string[] },
  ])('$name: the row is cut to fit, and says what was cut', async ({ parameters, statement, cut }) => {
    const parameter = parameters.length ? csv(parameters) : '<none>';
    const line = audit(`SESSION,1,1,WRITE,INSERT,,,"${statement}",${parameter}`);
    const { rows } = await rowsOf(line + '\n', { statementCap: 60_000 });
    const [row] = rows;
    expect(bytes(row!)).toBeLessThanOrEqual(MAX_ROW_BYTES);
    for (const c of cut) expect(row!.TruncatedColumns).toContain(c);
    if (cut.length === 0) expect(row!.TruncatedColumns === null || bytes(row!) <= MAX_ROW_BYTES).toBe(true);
  });

  it('a row of control characters in every text column is cut largest first, the Statement last, until it fits', () => {
    const row: PgAuditRow = { ...emptyRow(), EventType: 'AUDIT', Statement: '\u0002'.repeat(60_000), Message: '\u0003'.repeat(60_000), Detail: '\u0004'.repeat(60_000), Parameter: '\u0005'.repeat(60_000) };
    expect(bytes(row)).toBeGreaterThan(MAX_ROW_BYTES);
    expect(fitRow(row)).toBe(true);
    expect(bytes(row)).toBeLessThanOrEqual(MAX_ROW_BYTES);
    expect(row.TruncatedColumns).toEqual(['Parameter', 'Detail', 'Message']);
    expect(row.Statement).toHaveLength(60_000);
    const huge: PgAuditRow = { ...emptyRow(), Statement: '\u0002'.repeat(200_000) };
    fitRow(huge);
    expect([huge.TruncatedColumns, huge.StatementTruncated, bytes(huge) <= MAX_ROW_BYTES]).toEqual([['Statement'], true, true]);
  });

  it('leaves an ordinary row alone (no exact measure needed)', () => {
    const row: PgAuditRow = { ...emptyRow(), EventType: 'AUDIT', Statement: 'select 1', Parameters: ['a', null] };
    const before = JSON.stringify(row);
    expect(fitRow(row)).toBe(false);
    expect(JSON.stringify(row)).toBe(before);
  });

  it('a cut Parameters list ends with a marker naming how many were cut', () => {
    const row: PgAuditRow = { ...emptyRow(), Parameters: Array.from({ length: 100 }, () => 'x'.repeat(10_000)) };
    fitRow(row);
    const list = row.Parameters as string[];
    expect(list.at(-1)).toMatch(new RegExp(`^<${100 - (list.length - 1)} parameters cut to fit the row size limit>$`));
  });
});

describe('bytes that are not UTF-8', () => {
  it('flags the rows of the line and counts it; a literal U+FFFD is not flagged', async () => {
    const good = audit("SESSION,1,1,READ,SELECT,,,select '\uFFFD',<none>", 1);
    const bad = Buffer.concat([Buffer.from(audit('SESSION,1,1,READ,SELECT,,,select \'X\',<none>', 2).replace("'X'", "'")), Buffer.from([0xc3, 0x28]), Buffer.from("',<none>\"}}")]);
    const badLine = Buffer.from(bad.toString('latin1').replace(/"}}$/, ''), 'latin1');
    const text = Buffer.concat([Buffer.from(good + '\n'), badLine, Buffer.from('\n')]);
    const { rows, pipeline } = await rowsOf(text);
    expect(rows.map((r) => r.InvalidUtf8)).toEqual([null, true]);
    expect(pipeline.stats.invalidUtf8Lines).toBe(1);
  });
});

describe('a cut last line', () => {
  it('in a final input becomes one UNPARSED row that says why; a still-growing input holds it', async () => {
    const line = audit('SESSION,1,1,READ,SELECT,,,select 1,<none>');
    const cut = line.slice(0, 60);
    const growing = new AuditPipeline();
    const held = chunkRows([Buffer.from(line + '\n' + cut)], growing, { sourceBlob: 'b', final: false });
    const batches = [];
    let r = await held.next();
    while (!r.done) {
      batches.push(...r.value.rows);
      r = await held.next();
    }
    expect(batches.map((x) => x.EventType)).toEqual(['AUDIT']);
    expect(r.value.pendingBytes).toBe(Buffer.byteLength(cut));

    const { rows } = await rowsOf(line + '\n' + cut);
    expect(rows.map((x) => x.EventType)).toEqual(['AUDIT', 'UNPARSED']);
    expect(rows[1]!.Detail).toMatch(/the blob ends in a cut line that was never completed/);
    expect(rows[1]!.Message).toBe(cut);
  });
});

describe('RecordIds and blob identity', () => {
  it('are stable for the same blob and differ for a replaced blob of the same name', async () => {
    const text = audit('SESSION,1,1,READ,SELECT,,,select 1,<none>') + '\n';
    const ids = async (identity: string | null) => {
      const rows: PgAuditRow[] = [];
      for await (const b of chunkRows([Buffer.from(text)], new AuditPipeline(), { sourceBlob: 'srv/PT1H.json', blobIdentity: identity, final: true })) rows.push(...b.rows);
      return rows.map((r) => r.RecordId);
    };
    expect(await ids('2026-07-02T03:00:00.000Z')).toEqual(await ids('2026-07-02T03:00:00.000Z'));
    expect(await ids('2026-07-02T03:00:00.000Z')).not.toEqual(await ids('2026-07-02T05:00:00.000Z'));
    expect(await ids(null)).not.toEqual(await ids('2026-07-02T03:00:00.000Z'));
  });
});

describe('filters', () => {
  const lines = [
    azureLine({ message: '2026-07-02 03:00:06 UTC-6a1.1-LOG:  connection received: host=10.0.0.1 port=5432', processId: 1 }),
    azureLine({ message: '2026-07-02 03:00:06 UTC-6a1.1-LOG:  connection authorized: user=azuresu database=postgres application_name=pg_monitor', processId: 1 }),
    azureLine({ message: '2026-07-02 03:00:06 UTC-6a1.1-LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<none>', processId: 1 }),
    azureLine({ message: '2026-07-02 03:00:06 UTC-6a1.1-LOG:  AUDIT: SESSION,3,1,READ,SELECT,,,select 3,<none>', processId: 1 }),
    azureLine({ message: '2026-07-02 03:00:06 UTC-6a1.2-LOG:  connection authorized: user=alice database=shop application_name=psql', processId: 2 }),
    azureLine({ message: '2026-07-02 03:00:06 UTC-6a1.2-LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,,,insert,<none>', processId: 2 }),
    'not json',
  ];

  it('leave out and count per rule; GAP and UNPARSED rows are kept; the counts add up', async () => {
    const all = await rowsOf(lines.join('\n') + '\n');
    const { rows, pipeline } = await rowsOf(lines.join('\n') + '\n', { filters: ['UserName=azuresu', 'Command=/^INS/'] });
    const st = pipeline.stats;
    expect(rows.map((r) => [r.EventType, r.UserName])).toEqual([['GAP', 'azuresu'], ['CONNECT', 'alice'], ['UNPARSED', null]]);
    expect(st.filteredByRule).toEqual({ 'UserName=azuresu': 3, 'Command=/^INS/': 1 });
    expect(st.filtered).toBe(4);
    // Every row the unfiltered pipeline makes is either kept or filtered.
    expect(totalRows(st) + st.filtered).toBe(all.rows.length);
    // The kept rows are the same rows (same RecordIds) as without filters.
    expect(rows.map((r) => r.RecordId)).toEqual(all.rows.filter((r) => rows.some((k) => k.RecordId === r.RecordId)).map((r) => r.RecordId));
  });
});
