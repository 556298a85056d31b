// `npm run bench` (first step, a few seconds): the billed-size estimate of `parse --summary json`
// on every fixture workload (test/fixtures/pg15/<style>, generated from a real PostgreSQL 15 with
// pgAudit): per blob, our rows and run records against what the same source records bill in
// PGSQLServerLogs and AzureDiagnostics (src/cli/billed-size.ts, source-table-size.ts). h00 holds
// the ordinary workload (setup, DDL, long statements), h01 the attack workload (short statements,
// logins, errors). Target (issue 23): every ratio to PGSQLServerLogs ≤ 1.0.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'pg15');
const manifest = JSON.parse(readFileSync(join(fixtures, 'manifest.json'), 'utf8'));
// The time the rows would be sent: shortly after the blob's hour, as a live deployment sends them.
const sentAt = new Date(Date.parse(manifest.generatedAt) + 10 * 60_000).toISOString();
// A backfill sends the same blobs days later: every row then carries EventTime (28 bytes).
const backfillAt = new Date(Date.parse(manifest.generatedAt) + 3 * 24 * 3_600_000).toISOString();

// Each fixture blob is copied to the name Azure gives a blob (resourceId=/SUBSCRIPTIONS/…/y=…/PT1H.json),
// so that SourceBlob is what a deployment ships (the name relative to the server, 35 characters).
const work = mkdtempSync(join(tmpdir(), 'pgaudit-cost-bench-'));
const serverPath = 'resourceId=/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/PGAUDIT-FIXTURES/PROVIDERS/MICROSOFT.DBFORPOSTGRESQL/FLEXIBLESERVERS/PGFIXTURE';
const hourOf = (i) => {
  const t = new Date(Date.parse(manifest.generatedAt) + i * 3_600_000);
  const p = (n) => String(n).padStart(2, '0');
  return `y=${t.getUTCFullYear()}/m=${p(t.getUTCMonth() + 1)}/d=${p(t.getUTCDate())}/h=${p(t.getUTCHours())}/m=00`;
};
const rows = [];
const prices = [];
const backfill = [];
function parseBilled(args, style) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`parse ${style} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stderr.trim().split('\n').at(-1)).billed;
}
for (const [style, s] of Object.entries(manifest.styles)) {
  const files = s.files.map((f, i) => {
    const dir = join(work, style, serverPath, hourOf(i));
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(fixtures, f), join(dir, 'PT1H.json'));
    return join(dir, 'PT1H.json');
  });
  const label = (input) => `${style}/h0${files.indexOf(input)}`;
  const args = [join(root, 'bin', 'pgaudit-ingest.js'), 'parse', '--no-progress', '-o', '/dev/null', '--summary', 'json', '--monthly-events', '1000000', '--log-line-prefix', s.prefix, '--assume-sent-at', sentAt, ...files];
  const billed = parseBilled(args, style);
  const late = parseBilled(args.map((a) => (a === sentAt ? backfillAt : a)), style);
  for (const i of late.byInput) backfill.push({ workload: label(i.input), ratio: i.ratioToPGSQLServerLogs });
  for (const i of billed.byInput) {
    rows.push({ workload: label(i.input), records: i.sourceRecords, ours: i.ours, PGSQLServerLogs: i.PGSQLServerLogs, AzureDiagnostics: i.AzureDiagnostics, vsPGSQL: i.ratioToPGSQLServerLogs, vsAzureDiag: i.ratioToAzureDiagnostics });
  }
  prices.push({ workload: style, ...billed.monthly.usdPerMonth });
  rows.push({ workload: `${style} (both)`, records: billed.sourceRecords, ours: billed.total, PGSQLServerLogs: billed.sourceTables.PGSQLServerLogs, AzureDiagnostics: billed.sourceTables.AzureDiagnostics, vsPGSQL: billed.ratioToPGSQLServerLogs, vsAzureDiag: billed.ratioToAzureDiagnostics });
}
rmSync(work, { recursive: true, force: true });
const worstLate = backfill.reduce((w, b) => (b.ratio > w.ratio ? b : w));
const header = ['workload', 'records', 'ours', 'PGSQLServerLogs', 'AzureDiagnostics', 'vsPGSQL', 'vsAzureDiag'];
const width = header.map((h) => Math.max(h.length, ...rows.map((r) => String(r[h]).length)));
const line = (cells) => cells.map((c, i) => String(c).padStart(width[i])).join('  ');
console.log('billed bytes by the documented rule (src/cli/billed-size.ts), ours = PgAudit_CL rows + run records');
console.log(line(header));
for (const r of rows) console.log(line(header.map((h) => r[h])));
const priceHeader = ['workload', 'ours_allAnalytics', 'ours_tieredToBasic', 'ours_tieredToAuxiliary', 'PGSQLServerLogs_analytics', 'PGSQLServerLogs_basic', 'AzureDiagnostics_analytics'];
const pw = priceHeader.map((h) => Math.max(h.length, ...prices.map((r) => String(r[h]).length)));
console.log('\nUSD per million diagnostic records (both blobs of a workload; list prices to check, src/cli/cost-plans.ts; tiering: the default rule, READ/WRITE session audit to the bulk table)');
console.log(priceHeader.map((c, i) => c.padStart(pw[i])).join('  '));
for (const r of prices) console.log(priceHeader.map((h, i) => String(r[h]).padStart(pw[i])).join('  '));
const worst = Math.max(...rows.map((r) => r.vsPGSQL));
console.log(`worst ratio to PGSQLServerLogs ${worst}: ${worst <= 1 ? 'meets the limit (≤ 1.0)' : 'ABOVE THE LIMIT 1.0'}${worst <= 0.8 ? ' and the goal (≤ 0.8)' : ''}; worst ratio to AzureDiagnostics ${Math.max(...rows.map((r) => r.vsAzureDiag))}`);
console.log(`backfill 3 days late (EventTime on every row): worst ratio to PGSQLServerLogs ${worstLate.ratio} (${worstLate.workload}); per blob: ${backfill.map((b) => `${b.workload} ${b.ratio}`).join(', ')}`);
