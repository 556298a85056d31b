// `parse --summary json`'s cost estimate on the real-server fixtures: bytesByTable and
// bytesByEventType are checked against the NDJSON parse writes (each line's UTF-8 size), split by
// the documented rule written out here independently of src/tiering.ts (docs/deploy.md "Tiered
// cost": session-audit rows of a bulk class by a known user who is not privileged go to the bulk table).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'pg15', 'azure-default');
const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.PT1H.json')).sort().map((f) => join(FIXTURES, f));

async function parse(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [stdin, stdout, stderr] = [new PassThrough(), new PassThrough(), new PassThrough()];
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  stdin.end();
  const code = await main(['parse', '--no-progress', '--log-line-prefix', '%t-%c-', ...args], { stdin, stdout, stderr, stderrIsTty: false });
  return { code, stdout: out, stderr: err };
}

interface Row {
  EventType: string;
  AuditType: string | null;
  Class: string | null;
  UserName: string | null;
}

interface Billed {
  bytesByTable: Record<string, number>;
  total: number;
  sourceRecords: number;
  byInput: unknown[];
  ratioToPGSQLServerLogs: number;
  sourceTables: { PGSQLServerLogs: number; AzureDiagnostics: number };
  assumptions: string[];
  monthly: { eventsPerMonth: number; usdPerMonth: Record<string, number> };
}

describe('parse --summary json: the cost split', () => {
  it.each([
    { name: 'the default rule', args: [], bulk: ['READ', 'WRITE'], privileged: [] as string[] },
    { name: 'READ only, a privileged user', args: ['--tier-bulk-class', 'read', '--tier-privileged-user', 'app'], bulk: ['READ'], privileged: ['app'] },
    { name: 'FUNCTION and MISC too', args: ['--tier-bulk-class', 'READ', '--tier-bulk-class', 'WRITE', '--tier-bulk-class', 'FUNCTION', '--tier-bulk-class', 'MISC'], bulk: ['READ', 'WRITE', 'FUNCTION', 'MISC'], privileged: [] },
  ])('$name: bytes per table and per EventType are the written rows\' sizes', async ({ args, bulk, privileged }) => {
    expect(files.length).toBeGreaterThan(0);
    const r = await parse(['--summary', 'json', ...args, ...files]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { bytesByTable: Record<string, number>; bytesByEventType: Record<string, number>; tieringRule: unknown };
    const expected = { table: { PgAudit_CL: 0, PgAuditBulk_CL: 0 } as Record<string, number>, type: {} as Record<string, number> };
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const row = JSON.parse(line) as Row;
      const bytes = Buffer.byteLength(line);
      const isBulk = row.EventType === 'AUDIT' && row.AuditType === 'SESSION' && bulk.includes(row.Class ?? '') && !!row.UserName && !privileged.includes(row.UserName);
      expected.table[isBulk ? 'PgAuditBulk_CL' : 'PgAudit_CL']! += bytes;
      expected.type[row.EventType] = (expected.type[row.EventType] ?? 0) + bytes;
    }
    expect(summary.bytesByTable).toEqual(expected.table);
    expect(summary.bytesByEventType).toEqual(expected.type);
    expect(summary.tieringRule).toEqual({ bulkClasses: bulk, privilegedUsers: privileged });
    // The fixtures hold both kinds, so the split is not trivially all on one side.
    expect(expected.table.PgAudit_CL).toBeGreaterThan(0);
    expect(expected.table.PgAuditBulk_CL).toBeGreaterThan(0);
  });

  it('billed: the documented rule over the written rows, beside PGSQLServerLogs and AzureDiagnostics of the same records, priced per plan', async () => {
    const r = await parse(['--summary', 'json', '--monthly-events', '1000000', ...files]);
    expect(r.code).toBe(0);
    const billed = (JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { billed: Billed }).billed;
    // Written out independently: TenantId (36) + each non-null value's text; datetimes 28.
    let rows = 0;
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const row = JSON.parse(line) as Record<string, unknown>;
      rows += 36;
      for (const [k, v] of Object.entries(row)) {
        if (v === null) continue;
        rows += k === 'TimeGenerated' || k === 'EventTime' ? 28 : Buffer.byteLength(typeof v === 'string' ? v : JSON.stringify(v));
      }
    }
    expect(billed.bytesByTable.PgAudit_CL! + billed.bytesByTable.PgAuditBulk_CL!).toBe(rows);
    expect(billed.total).toBe(rows + billed.bytesByTable.PgAuditIngest_CL!);
    expect(billed.bytesByTable.PgAuditIngest_CL).toBeGreaterThan(0);
    const manifest = JSON.parse(readFileSync(join(FIXTURES, '..', 'manifest.json'), 'utf8')) as { styles: Record<string, { records: number }> };
    expect(billed.sourceRecords).toBe(manifest.styles['azure-default']!.records);
    expect(billed.byInput).toHaveLength(2);
    expect(billed.ratioToPGSQLServerLogs).toBeCloseTo(billed.total / billed.sourceTables.PGSQLServerLogs, 3);
    expect(billed.assumptions.length).toBeGreaterThan(3);
    expect(billed.monthly.eventsPerMonth).toBe(1000000);
    expect(Object.keys(billed.monthly.usdPerMonth)).toEqual(['ours_allAnalytics', 'ours_tieredToBasic', 'ours_tieredToAuxiliary', 'PGSQLServerLogs_analytics', 'PGSQLServerLogs_basic', 'AzureDiagnostics_analytics']);
    expect(billed.monthly.usdPerMonth.ours_tieredToBasic).toBeLessThan(billed.monthly.usdPerMonth.ours_allAnalytics!);
  });

  it('refuses a class that cannot be routed, naming the choices', async () => {
    const r = await parse(['--summary', 'json', '--tier-bulk-class', 'ROLE', files[0]!]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--tier-bulk-class: ROLE cannot be routed to PgAuditBulk_CL.*READ, WRITE, FUNCTION, MISC/);
  });

  it('the text summary has no estimate (nothing extra is computed)', async () => {
    const r = await parse([files[0]!]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/bytesByTable/);
  });
});
